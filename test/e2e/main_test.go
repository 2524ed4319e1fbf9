package e2e

// Setup shared by all tests: the cluster, podtune serving test/e2e/policies,
// its webhook configuration, namespaces, ServiceAccounts, PriorityClass.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const (
	targetLabel   = "podtune-e2e/target" // namespace label the webhook configurations select on
	annApplied    = "podtune.io/profile-applied"
	annDigest     = "podtune.io/policy-digest"
	annProfile    = "podtune.io/profile"
	annSkip       = "podtune.io/skip"
	testConfig    = "podtune-e2e-test"
	nsApps        = "e2e-apps"
	nsOutside     = "outside-e2e" // selected by the webhook, not admitted by the profiles' namespaces
	nsReinvoke    = "e2e-reinvoke"
	nsPlain       = "e2e-plain" // no webhook
	nsLatencyOff  = "e2e-latency-off"
	nsLatencyOn   = "e2e-latency-on"
	nsLatencyNoop = "e2e-latency-noop" // a Go webhook that changes nothing
	nsIgnore      = "e2e-ignore"
	nsFail        = "e2e-fail"
	highPriority  = "e2e-spark-high"
	highPriorityV = 100000
)

var (
	repoRoot   string
	podtuneBin string
	workDir    string
	cl         *cluster
	certs      *webhookCerts
	ptTest     *podtuneServer // serves test/e2e/policies
	setupErr   error          // why podtune could not be set up, if it could not
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	repoRoot = os.Getenv("E2E_REPO")
	if repoRoot == "" {
		repoRoot = "../.."
	}
	if repoRoot, err = filepath.Abs(repoRoot); err != nil {
		return fail(err)
	}
	podtuneBin = os.Getenv("PODTUNE_BIN")
	if podtuneBin == "" {
		podtuneBin = filepath.Join(repoRoot, "build", "podtune")
	}
	kubeBin := os.Getenv("E2E_KUBE_BIN")
	if kubeBin == "" {
		return fail(fmt.Errorf("E2E_KUBE_BIN is not set: run the tier through test/e2e/run"))
	}
	workDir = os.Getenv("E2E_WORK")
	if workDir == "" {
		if workDir, err = os.MkdirTemp("", "podtune-e2e-"); err != nil {
			return fail(err)
		}
	}
	start := time.Now()
	cl, err = startCluster(workDir, kubeBin)
	if err != nil {
		return fail(fmt.Errorf("cluster: %w", err))
	}
	defer cl.stop()
	v, _ := cl.cs.Discovery().ServerVersion()
	fmt.Printf("e2e: kube-apiserver %s and etcd ready on %s in %.1fs (logs in %s)\n",
		v.GitVersion, cl.url, time.Since(start).Seconds(), workDir)
	if err := setupObjects(); err != nil {
		return fail(fmt.Errorf("cluster objects: %w", err))
	}
	setupErr = setupPodtune()
	if setupErr != nil {
		fmt.Printf("e2e: podtune setup failed, podtune tests will fail: %v\n", setupErr)
	}
	defer ptTest.stop()
	return m.Run()
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "e2e: setup:", err)
	return 1
}

// setupObjects creates what no controller-manager creates here.
func setupObjects() error {
	ctx := context.Background()
	for ns, target := range map[string]string{
		nsApps: "test", nsOutside: "test", nsReinvoke: "reinvoke", nsPlain: "none",
		nsLatencyOff: "none", nsLatencyOn: "test", nsLatencyNoop: "noop", nsIgnore: "ignore", nsFail: "fail",
	} {
		if err := ensureNamespace(ctx, ns, target); err != nil {
			return err
		}
	}
	return ensurePriorityClass(ctx, highPriority, highPriorityV)
}

func ensureNamespace(ctx context.Context, name, target string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{targetLabel: target}}}
	_, err := cl.cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// e.g. "default", named by a bundled profile: point it at the right webhook
		old, gerr := cl.cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if gerr != nil {
			return fmt.Errorf("namespace %s: %w", name, gerr)
		}
		err = nil
		if old.Labels[targetLabel] != target {
			if old.Labels == nil {
				old.Labels = map[string]string{}
			}
			old.Labels[targetLabel] = target
			_, err = cl.cs.CoreV1().Namespaces().Update(ctx, old, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("namespace %s: %w", name, err)
	}
	// Spark and Flink pods name their accounts; without a controller-manager
	// not even "default" exists, and the ServiceAccount plugin refuses pods
	// that name a missing one.
	for _, sa := range []string{"default", "spark", "flink"} {
		obj := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}
		if _, err := cl.cs.CoreV1().ServiceAccounts(name).Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("serviceaccount %s/%s: %w", name, sa, err)
		}
	}
	return nil
}

func ensurePriorityClass(ctx context.Context, name string, value int32) error {
	pc := &schedv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value,
		Description: "made by the podtune e2e tier"}
	old, err := cl.cs.SchedulingV1().PriorityClasses().Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		if old.Value != value {
			return fmt.Errorf("priorityclass %s exists with value %d, want %d", name, old.Value, value)
		}
		return nil
	}
	if _, err := cl.cs.SchedulingV1().PriorityClasses().Create(ctx, pc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("priorityclass %s: %w", name, err)
	}
	return nil
}

func setupPodtune() error {
	if _, err := os.Stat(podtuneBin); err != nil {
		return fmt.Errorf("podtune binary: %w (run make first)", err)
	}
	var err error
	if certs, err = makeWebhookCerts(workDir); err != nil {
		return err
	}
	if ptTest, err = startPodtune(workDir, "podtune-test", filepath.Join(repoRoot, "test", "e2e", "policies"), certs); err != nil {
		return err
	}
	ctx := context.Background()
	// Fail, so that a podtune error shows up as a failed create here
	// instead of a silently untouched pod.
	if err := registerPodtune(ctx, testConfig, ptTest, certs.caBundle, "Fail", "test", "reinvoke"); err != nil {
		return err
	}
	return waitTuned(ctx, nsApps, "e2e-spark")
}

// waitTuned waits until the apiserver's webhook informer has picked up the
// configuration for ns: a dry-run driver comes back tuned with profile.
func waitTuned(ctx context.Context, ns, profile string) error {
	probe := sparkDriver("probe", "probe", map[string]string{"podtune-e2e": "tuned"}, nil)
	return waitFor("webhook for "+ns+" in effect", nil, 30*time.Second, func() error {
		got, err := cl.cs.CoreV1().Pods(ns).Create(ctx, probe.DeepCopy(), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			return err
		}
		if got.Annotations[annApplied] != profile {
			return fmt.Errorf("dry-run probe in %s not tuned (annotations %v)", ns, got.Annotations)
		}
		return nil
	})
}

func requirePodtune(t *testing.T) {
	t.Helper()
	if setupErr != nil {
		t.Fatalf("podtune is not running: %v", setupErr)
	}
}

// ---- creating pods, with the warnings the apiserver returns ----------------

type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(code int, agent, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

// createPod creates pod in ns and returns the stored object and the
// warnings of that one request.
func createPod(ctx context.Context, ns string, pod *corev1.Pod, dryRun bool) (*corev1.Pod, []string, error) {
	w := &warnings{}
	cfg := rest.CopyConfig(cl.cfg)
	cfg.WarningHandler = w
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	opts := metav1.CreateOptions{}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	got, err := cs.CoreV1().Pods(ns).Create(ctx, pod.DeepCopy(), opts)
	return got, w.msgs, err
}

// mustCreate creates the pod and reads it back from the API.
func mustCreate(t *testing.T, ns string, pod *corev1.Pod) (*corev1.Pod, []string) {
	t.Helper()
	ctx := context.Background()
	got, warns, err := createPod(ctx, ns, pod, false)
	if err != nil {
		t.Fatalf("create pod %s/%s: %v", ns, pod.Name+pod.GenerateName, err)
	}
	stored, err := cl.cs.CoreV1().Pods(ns).Get(ctx, got.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get pod %s/%s: %v", ns, got.Name, err)
	}
	for _, w := range warns {
		t.Logf("warning for %s/%s: %s", ns, got.Name, w)
	}
	return stored, warns
}

var metaGet = metav1.GetOptions{}
