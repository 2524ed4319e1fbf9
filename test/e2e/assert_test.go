package e2e

// Assertions on stored pods.

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{12}$`)

func container(t *testing.T, p *corev1.Pod, name string) *corev1.Container {
	t.Helper()
	for i := range p.Spec.Containers {
		if p.Spec.Containers[i].Name == name {
			return &p.Spec.Containers[i]
		}
	}
	t.Fatalf("pod %s has no container %s", p.Name, name)
	return nil
}

func env(c *corev1.Container, name string) (string, int) {
	val, n := "", 0
	for _, e := range c.Env {
		if e.Name == name {
			val = e.Value
			n++
		}
	}
	return val, n
}

func wantEnv(t *testing.T, c *corev1.Container, name, want string) {
	t.Helper()
	got, n := env(c, name)
	if n != 1 || got != want {
		t.Errorf("container %s: env %s = %q (%d times), want %q once", c.Name, name, got, n, want)
	}
}

// wantResources checks the container's requests and limits are exactly
// these (compared as quantities: the apiserver writes "1.0" as "1").
func wantResources(t *testing.T, c *corev1.Container, requests, limits map[string]string) {
	t.Helper()
	check := func(kind string, got corev1.ResourceList, want map[string]string) {
		for name, w := range want {
			g, ok := got[corev1.ResourceName(name)]
			if !ok {
				t.Errorf("container %s: %s.%s missing, want %s", c.Name, kind, name, w)
				continue
			}
			if g.Cmp(resource.MustParse(w)) != 0 {
				t.Errorf("container %s: %s.%s = %s, want %s", c.Name, kind, name, g.String(), w)
			}
		}
		for name, g := range got {
			if _, ok := want[string(name)]; !ok {
				t.Errorf("container %s: unexpected %s.%s = %s", c.Name, kind, name, g.String())
			}
		}
	}
	check("requests", c.Resources.Requests, requests)
	check("limits", c.Resources.Limits, limits)
}

func tolerationCount(p *corev1.Pod, want corev1.Toleration) int {
	n := 0
	for _, tol := range p.Spec.Tolerations {
		if tol.Key == want.Key && tol.Operator == want.Operator && tol.Value == want.Value && tol.Effect == want.Effect {
			n++
		}
	}
	return n
}

func wantToleration(t *testing.T, p *corev1.Pod, want corev1.Toleration) {
	t.Helper()
	if n := tolerationCount(p, want); n != 1 {
		t.Errorf("pod %s: toleration %s %s %s:%s present %d times, want once (all: %s)",
			p.Name, want.Key, want.Operator, want.Value, want.Effect, n, tolerationsString(p.Spec.Tolerations))
	}
}

func tolerationsString(ts []corev1.Toleration) string {
	var s []string
	for _, t := range ts {
		s = append(s, fmt.Sprintf("%s/%s/%s/%s", t.Key, t.Operator, t.Value, t.Effect))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// defaultTolerations are what DefaultTolerationSeconds adds to every pod.
var defaultTolerations = []corev1.Toleration{
	{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
	{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
}

func wantTuned(t *testing.T, p *corev1.Pod, profile string) {
	t.Helper()
	if got := p.Annotations[annApplied]; got != profile {
		t.Errorf("pod %s: annotation %s = %q, want %q", p.Name, annApplied, got, profile)
	}
	if got := p.Annotations[annDigest]; !digestRE.MatchString(got) {
		t.Errorf("pod %s: annotation %s = %q, want sha256:<12 hex>", p.Name, annDigest, got)
	}
}

// countArg counts occurrences of the pair (flag, value) in args.
func countConf(args []string, kv string) int {
	n := 0
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--conf" && args[i+1] == kv {
			n++
		}
	}
	return n
}

// flinkDynamic reports how often -D key=value appears in the start command
// (as its own argument or inside the bash -c string, quoted or not).
func flinkDynamic(c *corev1.Container, key, value string) int {
	all := strings.Join(append(append([]string{}, c.Command...), c.Args...), " ")
	re := regexp.MustCompile(`-D\s*'?` + regexp.QuoteMeta(key) + `'?\s*=\s*'?` + regexp.QuoteMeta(value) + `'?(\s|$|")`)
	return len(re.FindAllString(all, -1))
}

// wantUntouched checks that the stored pod carries exactly what was sent,
// plus only what the built-in admission plugins and defaulting add.
func wantUntouched(t *testing.T, sent, stored *corev1.Pod) {
	t.Helper()
	if !mapsEqual(sent.Labels, stored.Labels) {
		t.Errorf("pod %s: labels changed: sent %v, stored %v", stored.Name, sent.Labels, stored.Labels)
	}
	if !mapsEqual(sent.Annotations, stored.Annotations) {
		t.Errorf("pod %s: annotations changed: sent %v, stored %v", stored.Name, sent.Annotations, stored.Annotations)
	}
	if len(sent.Spec.Containers) != len(stored.Spec.Containers) {
		t.Fatalf("pod %s: %d containers stored, %d sent", stored.Name, len(stored.Spec.Containers), len(sent.Spec.Containers))
	}
	for i, sc := range sent.Spec.Containers {
		gc := stored.Spec.Containers[i]
		if !reflect.DeepEqual(sc.Args, gc.Args) || !reflect.DeepEqual(sc.Command, gc.Command) {
			t.Errorf("pod %s container %s: command/args changed: %q %q -> %q %q", stored.Name, sc.Name, sc.Command, sc.Args, gc.Command, gc.Args)
		}
		if !reflect.DeepEqual(envNames(sc.Env), envNames(gc.Env)) {
			t.Errorf("pod %s container %s: env changed: %v -> %v", stored.Name, sc.Name, envNames(sc.Env), envNames(gc.Env))
		}
		if !resourceListEqual(sc.Resources.Requests, gc.Resources.Requests) || !resourceListEqual(sc.Resources.Limits, gc.Resources.Limits) {
			t.Errorf("pod %s container %s: resources changed: %v -> %v", stored.Name, sc.Name, sc.Resources, gc.Resources)
		}
	}
	if !reflect.DeepEqual(sent.Spec.Affinity, stored.Spec.Affinity) {
		t.Errorf("pod %s: affinity changed: %v -> %v", stored.Name, sent.Spec.Affinity, stored.Spec.Affinity)
	}
	if !mapsEqual(sent.Spec.NodeSelector, stored.Spec.NodeSelector) {
		t.Errorf("pod %s: nodeSelector changed: %v -> %v", stored.Name, sent.Spec.NodeSelector, stored.Spec.NodeSelector)
	}
	wantTols := append(append([]corev1.Toleration{}, sent.Spec.Tolerations...), defaultTolerations...)
	if !reflect.DeepEqual(wantTols, stored.Spec.Tolerations) {
		t.Errorf("pod %s: tolerations %s, want %s", stored.Name, tolerationsString(stored.Spec.Tolerations), tolerationsString(wantTols))
	}
	if stored.Spec.PriorityClassName != sent.Spec.PriorityClassName {
		t.Errorf("pod %s: priorityClassName %q, sent %q", stored.Name, stored.Spec.PriorityClassName, sent.Spec.PriorityClassName)
	}
	wantSched := sent.Spec.SchedulerName
	if wantSched == "" {
		wantSched = corev1.DefaultSchedulerName
	}
	if stored.Spec.SchedulerName != wantSched {
		t.Errorf("pod %s: schedulerName %q, want %q", stored.Name, stored.Spec.SchedulerName, wantSched)
	}
}

func envNames(es []corev1.EnvVar) []string {
	var s []string
	for _, e := range es {
		s = append(s, e.Name+"="+e.Value)
	}
	return s
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func resourceListEqual(a, b corev1.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v.Cmp(w) != 0 {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
