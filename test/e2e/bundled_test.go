package e2e

// Every profile bundled in policies/ is applied to all four roles through
// the real apiserver: the tuned pods must be accepted (no 422), carry the
// profile, end with the priority of the class the profile sets, and hold
// the resources `podtune mutate` computes for the same pod offline.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

type bundledProfile struct {
	file       string
	name       string
	namespaces []string
	roles      map[string]map[string]interface{}
}

// loadBundled reads every profile document under dir (recursively, hidden
// files skipped, as podtune does).
func loadBundled(dir string) ([]bundledProfile, error) {
	var out []bundledProfile
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
		for {
			var doc struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
				Spec struct {
					Namespaces []string                          `json:"namespaces"`
					Roles      map[string]map[string]interface{} `json:"roles"`
				} `json:"spec"`
			}
			if err := dec.Decode(&doc); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return fmt.Errorf("%s: %w", path, err)
			}
			if doc.Kind != "Profile" {
				continue
			}
			out = append(out, bundledProfile{file: path, name: doc.Metadata.Name, namespaces: doc.Spec.Namespaces, roles: doc.Spec.Roles})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, err
}

// namespaceFor makes a namespace name that the profile's globs admit.
func namespaceFor(p bundledProfile) string {
	if len(p.namespaces) == 0 {
		return "e2e-bundled-" + p.name
	}
	g := p.namespaces[0]
	g = regexp.MustCompile(`\[[^\]]*\]`).ReplaceAllString(g, "x")
	g = strings.NewReplacer("*", "e2e", "?", "x").Replace(g)
	return strings.ToLower(g)
}

// block returns the role block for role merged over "all" (shallow), and
// whether the profile covers the role at all.
func (p bundledProfile) block(role string) (map[string]interface{}, bool) {
	all, okAll := p.roles["all"]
	r, okRole := p.roles[role]
	merged := map[string]interface{}{}
	for k, v := range all {
		merged[k] = v
	}
	for k, v := range r {
		merged[k] = v
	}
	return merged, okAll || okRole
}

var bundledRoles = []struct {
	name, role, container string
	make                  func(name string, ann map[string]string) *corev1.Pod
}{
	{"spark-driver", "spark-driver", "spark-kubernetes-driver", func(n string, a map[string]string) *corev1.Pod { return sparkDriver(n+"-driver", n, nil, a) }},
	{"spark-executor", "spark-executor", "spark-kubernetes-executor", func(n string, a map[string]string) *corev1.Pod {
		return sparkExecutor(n+"-exec-1", n, "1", nil, nil, a)
	}},
	{"flink-jobmanager", "flink-jobmanager", "flink-main-container", func(n string, a map[string]string) *corev1.Pod { return flinkJobManager(n, nil, a) }},
	{"flink-taskmanager", "flink-taskmanager", "flink-main-container", func(n string, a map[string]string) *corev1.Pod {
		return flinkTaskManager(n, n+"-taskmanager-1-1", nil, a)
	}},
	// Shapes that trip naive code, where only the apiserver's validation tells.
	// A pod template: Spark appends its container after the template's, so
	// containers[0] is a sidecar that must stay as it is.
	{"spark-driver-sidecar-first", "spark-driver", "spark-kubernetes-driver", func(n string, a map[string]string) *corev1.Pod {
		p := sparkDriver(n+"-tpl-driver", n, nil, a)
		side := corev1.Container{Name: "log-shipper", Image: "fluent/fluent-bit:3.0",
			Args:      []string{"-c", "/fluent-bit/etc/fluent-bit.conf"},
			Env:       []corev1.EnvVar{{Name: "FLUENT_LEVEL", Value: "info"}},
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{"cpu": q("50m"), "memory": q("32Mi")}, Limits: corev1.ResourceList{"memory": q("64Mi")}}}
		p.Spec.Containers = append([]corev1.Container{side}, p.Spec.Containers...)
		return p
	}},
	// GPU amounts as Spark writes them: limits only; the apiserver copies
	// them to requests before webhooks run, and extended resources must keep
	// request = limit.
	{"spark-executor-gpu", "spark-executor", "spark-kubernetes-executor", func(n string, a map[string]string) *corev1.Pod {
		p := sparkExecutor(n+"-gpu-exec-1", n, "1", nil, nil, a)
		p.Spec.Containers[0].Resources.Limits["nvidia.com/gpu"] = q("1")
		return p
	}},
	// PySpark: memory overhead factor 0.4 (2048m heap + 820Mi).
	{"pyspark-executor", "spark-executor", "spark-kubernetes-executor", func(n string, a map[string]string) *corev1.Pod {
		p := sparkExecutor(n+"-py-exec-1", n, "1", nil, nil, a)
		c := &p.Spec.Containers[0]
		c.Resources.Requests["memory"] = q("2868Mi")
		c.Resources.Limits["memory"] = q("2868Mi")
		c.Env = append(c.Env, corev1.EnvVar{Name: "PYSPARK_PYTHON", Value: "python3"})
		return p
	}},
}

func TestBundledProfiles(t *testing.T) {
	requirePodtune(t)
	ctx := context.Background()
	dir := filepath.Join(repoRoot, "policies")
	profiles, err := loadBundled(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(profiles) == 0 {
		t.Skipf("no profiles in %s yet", dir)
	}
	pt, err := startPodtune(workDir, "podtune-bundled", dir, certs)
	if err != nil {
		t.Fatal(err)
	}
	defer pt.stop()
	if err := registerPodtune(ctx, "podtune-e2e-bundled", pt, certs.caBundle, "Fail", "bundled"); err != nil {
		t.Fatal(err)
	}
	defer deleteWebhookConfig(ctx, "podtune-e2e-bundled")

	for _, prof := range profiles {
		prof := prof
		t.Run(prof.name, func(t *testing.T) {
			ns := namespaceFor(prof)
			if err := ensureNamespace(ctx, ns, "bundled"); err != nil {
				t.Fatal(err)
			}
			for _, r := range bundledRoles {
				blk, covered := prof.block(r.role)
				if pc, _ := blk["priorityClassName"].(string); pc != "" {
					v := int32(1000)
					if f, ok := blk["priorityValue"].(float64); ok {
						v = int32(f)
					}
					if err := ensurePriorityClass(ctx, pc, v); err != nil {
						t.Error(err)
					}
				}
				t.Run(r.name, func(t *testing.T) {
					sent := r.make("b-"+prof.name, map[string]string{annProfile: prof.name})
					sent.Namespace = ns
					var p *corev1.Pod
					// the configuration may take a moment to reach the apiserver's informer
					err := waitFor("pod tuned by "+prof.name, nil, 20*time.Second, func() error {
						got, _, err := createPod(ctx, ns, sent, true)
						if err != nil {
							if apierrors.IsInvalid(err) {
								return nil // reported below, on the real create
							}
							return err
						}
						if covered && got.Annotations[annApplied] == "" {
							return fmt.Errorf("not tuned yet")
						}
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
					got, warns, err := createPod(ctx, ns, sent, false)
					if err != nil {
						if apierrors.IsInvalid(err) {
							t.Fatalf("apiserver refused the pod podtune tuned with %s (%s): %v", prof.name, prof.file, err)
						}
						t.Fatalf("create: %v", err)
					}
					for _, w := range warns {
						t.Logf("warning: %s", w)
					}
					p = got
					if covered {
						wantTuned(t, p, prof.name)
					} else if p.Annotations[annApplied] != "" {
						t.Errorf("profile has no block for %s, but pod got %s=%s", r.role, annApplied, p.Annotations[annApplied])
					}
					if p.Spec.PriorityClassName != "" {
						pc, err := cl.cs.SchedulingV1().PriorityClasses().Get(ctx, p.Spec.PriorityClassName, metaGet)
						if err != nil {
							t.Errorf("priorityClassName %q: %v", p.Spec.PriorityClassName, err)
						} else if p.Spec.Priority == nil || *p.Spec.Priority != pc.Value {
							t.Errorf("priorityClassName %s has value %d, stored spec.priority %v (set priorityValue in the profile)",
								pc.Name, pc.Value, p.Spec.Priority)
						}
					}
					for i, sc := range sent.Spec.Containers {
						if sc.Name == r.container {
							continue
						}
						gc := p.Spec.Containers[i]
						if gc.Name != sc.Name || !reflect.DeepEqual(sc.Args, gc.Args) || !reflect.DeepEqual(envNames(sc.Env), envNames(gc.Env)) ||
							!resourceListEqual(sc.Resources.Requests, gc.Resources.Requests) || !resourceListEqual(sc.Resources.Limits, gc.Resources.Limits) {
							t.Errorf("sidecar %s changed: sent %+v, stored %+v", sc.Name, sc, gc)
						}
					}
					for _, c := range p.Spec.Containers {
						for name, lim := range c.Resources.Limits {
							if req, ok := c.Resources.Requests[name]; ok && lim.Cmp(req) < 0 {
								t.Errorf("container %s: limit %s %s below request %s", c.Name, name, lim.String(), req.String())
							}
						}
					}
					// offline and online agree on the main container's resources
					t.Run("matches-mutate", func(t *testing.T) {
						off, err := mutateOffline(dir, sent)
						if err != nil {
							t.Fatalf("podtune mutate: %v", err)
						}
						on := container(t, p, r.container)
						offc := container(t, off, r.container)
						if !resourceListEqual(on.Resources.Requests, offc.Resources.Requests) || !resourceListEqual(on.Resources.Limits, offc.Resources.Limits) {
							t.Errorf("resources stored by the apiserver %v differ from podtune mutate's %v", on.Resources, offc.Resources)
						}
					})
				})
			}
		})
	}
}

// mutateOffline runs `podtune mutate -o json` on the pod.
func mutateOffline(policies string, pod *corev1.Pod) (*corev1.Pod, error) {
	in := pod.DeepCopy()
	in.APIVersion, in.Kind = "v1", "Pod"
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	f := filepath.Join(workDir, "mutate-"+strings.TrimSuffix(pod.Name+pod.GenerateName, "-")+".json")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(podtuneBin, "mutate", "--policies", policies, "-o", "json", f)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr.String())
	}
	var p corev1.Pod
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, fmt.Errorf("output is not one pod in JSON: %v: %s", err, clip(string(out), 200))
	}
	return &p, nil
}
