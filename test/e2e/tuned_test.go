package e2e

// Spark and Flink pods created through the API come back tuned as the test
// profiles (test/e2e/policies/e2e.yaml) say; other pods come back untouched.

import (
	"context"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var (
	tuned        = map[string]string{"podtune-e2e": "tuned"}
	sparkTol     = corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "spark", Effect: corev1.TaintEffectNoSchedule}
	flinkTol     = corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "flink", Effect: corev1.TaintEffectNoSchedule}
	nodeTypeExpr = corev1.NodeSelectorRequirement{Key: "node-type", Operator: corev1.NodeSelectorOpIn, Values: []string{"compute"}}
	nvmeTerm     = corev1.PreferredSchedulingTerm{Weight: 50, Preference: corev1.NodeSelectorTerm{
		MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"nvme"}}}}}
)

func wantSparkCommon(t *testing.T, p *corev1.Pod) {
	t.Helper()
	wantTuned(t, p, "e2e-spark")
	if p.Annotations["e2e.podtune.io/tuned"] != "yes" {
		t.Errorf("annotation e2e.podtune.io/tuned = %q, want yes", p.Annotations["e2e.podtune.io/tuned"])
	}
	if p.Labels["cost-center"] != "data-platform" {
		t.Errorf("label cost-center = %q, want data-platform", p.Labels["cost-center"])
	}
	if p.Labels["spark-app-name"] == "" || p.Labels["podtune-e2e"] != "tuned" {
		t.Errorf("original labels lost: %v", p.Labels)
	}
	wantToleration(t, p, sparkTol)
	for _, d := range defaultTolerations {
		wantToleration(t, p, d)
	}
	na := p.Spec.Affinity
	if na == nil || na.NodeAffinity == nil {
		t.Fatalf("no node affinity stored")
	}
	n := 0
	for _, pt := range na.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		if reflect.DeepEqual(pt, nvmeTerm) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("preferred term disk In [nvme] weight 50 present %d times, want once: %+v", n, na.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
	}
}

func TestSparkDriver(t *testing.T) {
	requirePodtune(t)
	sent := sparkDriver("etl-driver", "etl", tuned, nil)
	p, _ := mustCreate(t, nsApps, sent)
	wantSparkCommon(t, p)
	c := container(t, p, "spark-kubernetes-driver")

	t.Run("resources", func(t *testing.T) {
		// requests.cpu 500m raised to min 1; limits.cpu filled; memory as sent (JVM safety)
		wantResources(t, c, map[string]string{"cpu": "1", "memory": "1408Mi"}, map[string]string{"cpu": "2", "memory": "1408Mi"})
	})
	t.Run("args", func(t *testing.T) {
		want := append([]string{"driver", "--conf", "spark.sql.shuffle.partitions=400"}, sent.Spec.Containers[0].Args[1:]...)
		if !reflect.DeepEqual(c.Args, want) {
			t.Errorf("args\n got %q\nwant %q", c.Args, want)
		}
	})
	t.Run("env", func(t *testing.T) {
		wantEnv(t, c, "PODTUNE_E2E", "driver")
		for _, e := range sent.Spec.Containers[0].Env {
			if e.ValueFrom == nil {
				wantEnv(t, c, e.Name, e.Value)
			}
		}
	})
	t.Run("required-affinity", func(t *testing.T) {
		req := p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
		want := &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{nodeTypeExpr}}}}
		if !reflect.DeepEqual(req, want) {
			t.Errorf("required node affinity %+v, want %+v", req, want)
		}
	})
	t.Run("priority", func(t *testing.T) {
		// The Priority plugin resolved the class before webhooks ran; the
		// stored pod must still end with the class's value.
		if p.Spec.PriorityClassName != highPriority {
			t.Errorf("priorityClassName %q, want %q", p.Spec.PriorityClassName, highPriority)
		}
		pc, err := cl.cs.SchedulingV1().PriorityClasses().Get(context.Background(), highPriority, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Spec.Priority == nil || *p.Spec.Priority != pc.Value {
			t.Errorf("spec.priority = %v, want %d (value of PriorityClass %s)", p.Spec.Priority, pc.Value, highPriority)
		}
	})
	t.Run("audit", func(t *testing.T) {
		// podtune's auditAnnotations, as the apiserver records them (keys
		// prefixed with the webhook name), and its record of the call
		ev, err := auditFor(nsApps, p.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got := ev.Annotations["pods.podtune.io/profile"]; got != "e2e-spark" {
			t.Errorf("audit annotation pods.podtune.io/profile = %q, want e2e-spark (all: %v)", got, ev.Annotations)
		}
		if ev.Annotations["pods.podtune.io/changes"] == "" {
			t.Errorf("no audit annotation pods.podtune.io/changes (all: %v)", ev.Annotations)
		}
		calls := ev.calls()
		if len(calls) != 1 || calls[0].Webhook != "pods.podtune.io" || !calls[0].Mutated || calls[0].Configuration != testConfig {
			t.Errorf("apiserver recorded webhook calls %s, want one mutating call of pods.podtune.io", ev.callsString())
		}
	})
	t.Run("untouched-parts", func(t *testing.T) {
		if len(p.Spec.Containers) != 1 || p.Spec.ServiceAccountName != "spark" || p.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("pod shape changed: %d containers, sa %q, restartPolicy %q", len(p.Spec.Containers), p.Spec.ServiceAccountName, p.Spec.RestartPolicy)
		}
		if p.Status.Phase != corev1.PodPending {
			t.Errorf("phase %q, want Pending", p.Status.Phase)
		}
	})
}

func TestSparkExecutor(t *testing.T) {
	requirePodtune(t)
	ctx := context.Background()
	drv, _, err := createPod(ctx, nsApps, sparkDriver("exec-owner-driver", "exec", tuned, nil), false)
	if err != nil {
		t.Fatal(err)
	}
	sent := sparkExecutor("exec-exec-1", "exec", "1", drv, tuned, nil)
	// two ORed terms already: the profile's expression must be ANDed into each
	sent.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
			{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}},
			{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"b"}}}},
		}}}}
	p, _ := mustCreate(t, nsApps, sent)
	wantSparkCommon(t, p)
	c := container(t, p, "spark-kubernetes-executor")
	wantResources(t, c,
		map[string]string{"cpu": "1", "memory": "2432Mi", "ephemeral-storage": "10Gi"},
		map[string]string{"cpu": "4", "memory": "2432Mi", "ephemeral-storage": "20Gi"})
	wantEnv(t, c, "SPARK_JAVA_OPT_0", "-Dspark.driver.port=7078")
	wantEnv(t, c, "SPARK_JAVA_OPT_1", "-XX:+UseG1GC")
	wantEnv(t, c, "SPARK_EXECUTOR_MEMORY", "2048m")
	if !reflect.DeepEqual(c.Args, []string{"executor"}) {
		t.Errorf("executor args changed: %q", c.Args)
	}
	terms := p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if len(terms) != 2 {
		t.Fatalf("%d nodeSelectorTerms, want the 2 sent: %+v", len(terms), terms)
	}
	for i, zone := range []string{"a", "b"} {
		want := []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{zone}}, nodeTypeExpr}
		if !reflect.DeepEqual(terms[i].MatchExpressions, want) {
			t.Errorf("term %d: %+v, want %+v", i, terms[i].MatchExpressions, want)
		}
	}
	if p.Spec.PriorityClassName != "" {
		t.Errorf("executor got driver-only priorityClassName %q", p.Spec.PriorityClassName)
	}
	if _, n := env(c, "PODTUNE_E2E"); n != 0 {
		t.Errorf("executor got driver-only env PODTUNE_E2E")
	}
	if len(p.OwnerReferences) != 1 || p.OwnerReferences[0].UID != drv.UID {
		t.Errorf("owner reference lost: %+v", p.OwnerReferences)
	}
}

func TestFlinkJobManager(t *testing.T) {
	requirePodtune(t)
	sent := flinkJobManager("e2e-session", tuned, nil)
	p, _ := mustCreate(t, nsApps, sent)
	if !strings.HasPrefix(p.Name, "e2e-session-7d9f8c6b5-") {
		t.Errorf("generated name %q", p.Name)
	}
	wantTuned(t, p, "e2e-flink")
	c := container(t, p, "flink-main-container")
	// mode override: the "1.0" cpu the pod came with is replaced
	wantResources(t, c, map[string]string{"cpu": "2", "memory": "1600Mi"}, map[string]string{"cpu": "2", "memory": "1600Mi"})
	wantToleration(t, p, flinkTol)
	if p.Spec.NodeSelector["pool"] != "streaming" {
		t.Errorf("nodeSelector %v, want pool=streaming", p.Spec.NodeSelector)
	}
	if n := flinkDynamic(c, "web.cancel.enable", "false"); n != 1 {
		t.Errorf("-D web.cancel.enable=false appears %d times in the start command, want once: %q %q", n, c.Command, c.Args)
	}
	if !strings.Contains(strings.Join(c.Args, " "), "-Djobmanager.memory.heap.size='1073741824b'") {
		t.Errorf("Flink's own dynamic properties lost: %q", c.Args)
	}
}

func TestFlinkTaskManager(t *testing.T) {
	requirePodtune(t)
	sent := flinkTaskManager("e2e-session", "e2e-session-taskmanager-1-1", tuned, nil)
	sent.Spec.NodeSelector = map[string]string{"pool": "custom"} // fill keeps the user's value, with a warning
	p, warns := mustCreate(t, nsApps, sent)
	wantTuned(t, p, "e2e-flink")
	c := container(t, p, "flink-main-container")
	wantResources(t, c,
		map[string]string{"cpu": "1", "memory": "1728Mi", "ephemeral-storage": "8Gi"},
		map[string]string{"cpu": "1", "memory": "1728Mi", "ephemeral-storage": "8Gi"})
	wantToleration(t, p, flinkTol)
	if p.Spec.NodeSelector["pool"] != "custom" {
		t.Errorf("fill overwrote the user's nodeSelector: %v", p.Spec.NodeSelector)
	}
	if len(warns) == 0 {
		t.Errorf("no admission warning for the kept nodeSelector pool=custom")
	}
	for _, w := range warns {
		if len(w) >= 120 {
			t.Errorf("warning of %d characters (contract: under 120): %q", len(w), w)
		}
	}
	if p.Spec.SchedulerName != "e2e-scheduler" {
		t.Errorf("schedulerName %q, want e2e-scheduler", p.Spec.SchedulerName)
	}
	// javaOptions: the pod has no FLINK_ENV_JAVA_OPTS, and creating it would
	// make Flink's scripts skip env.java.opts.* and their default GC flags,
	// so podtune uses JVM_ARGS (docs/planner-scheduling-runtime.md).
	if _, n := env(c, "FLINK_ENV_JAVA_OPTS"); n != 0 {
		t.Errorf("FLINK_ENV_JAVA_OPTS created; it must stay unset when the pod has none")
	}
	wantEnv(t, c, "JVM_ARGS", "-XX:+UseG1GC")
	wantEnv(t, c, "FLINK_TM_JVM_MEM_OPTS", sent.Spec.Containers[0].Env[0].Value)
	if n := flinkDynamic(c, "taskmanager.numberOfTaskSlots", "4"); n != 1 {
		t.Errorf("-D taskmanager.numberOfTaskSlots=4 appears %d times, want once: %q", n, c.Args)
	}
	if !strings.Contains(strings.Join(c.Args, " "), "-D taskmanager.resource-id=e2e-session-taskmanager-1-1") {
		t.Errorf("Flink's own dynamic properties lost: %q", c.Args)
	}
}

func TestFlinkTaskManagerJavaOpts(t *testing.T) {
	requirePodtune(t)
	sent := flinkTaskManager("e2e-session", "e2e-session-taskmanager-1-2", tuned, nil)
	sent.Spec.Containers[0].Env = append(sent.Spec.Containers[0].Env,
		corev1.EnvVar{Name: "FLINK_ENV_JAVA_OPTS", Value: "-Dlog4j2.formatMsgNoLookups=true"})
	p, _ := mustCreate(t, nsApps, sent)
	c := container(t, p, "flink-main-container")
	wantEnv(t, c, "FLINK_ENV_JAVA_OPTS", "-Dlog4j2.formatMsgNoLookups=true -XX:+UseG1GC")
	if _, n := env(c, "JVM_ARGS"); n != 0 {
		t.Errorf("JVM_ARGS set although FLINK_ENV_JAVA_OPTS exists")
	}
}

func TestProfileSelection(t *testing.T) {
	requirePodtune(t)
	t.Run("annotation-picks-profile", func(t *testing.T) {
		sent := sparkExecutor("annotated-exec-1", "annotated", "1", nil, nil, map[string]string{annProfile: "e2e-annotated"})
		p, _ := mustCreate(t, nsApps, sent)
		wantTuned(t, p, "e2e-annotated")
		if p.Labels["e2e-profile"] != "annotated" {
			t.Errorf("labels %v, want e2e-profile=annotated", p.Labels)
		}
		wantToleration(t, p, corev1.Toleration{Key: "e2e-annotated", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	})
	t.Run("unknown-profile-unchanged-with-warning", func(t *testing.T) {
		sent := sparkExecutor("unknown-exec-1", "unknown", "1", nil, tuned, map[string]string{annProfile: "no-such-profile"})
		p, warns := mustCreate(t, nsApps, sent)
		wantUntouched(t, sent, p)
		if len(warns) == 0 {
			t.Errorf("no warning for an unknown profile")
		}
	})
	t.Run("skip", func(t *testing.T) {
		sent := sparkDriver("skipped-driver", "skipped", tuned, map[string]string{annSkip: "true"})
		p, _ := mustCreate(t, nsApps, sent)
		wantUntouched(t, sent, p)
	})
	t.Run("enforce-ignores-skip", func(t *testing.T) {
		sent := sparkDriver("enforced-driver", "enforced", map[string]string{"podtune-e2e": "enforced"}, map[string]string{annSkip: "true"})
		p, _ := mustCreate(t, nsApps, sent)
		wantTuned(t, p, "e2e-enforced")
		if p.Labels["e2e-enforced"] != "yes" {
			t.Errorf("labels %v, want e2e-enforced=yes", p.Labels)
		}
	})
	t.Run("namespace-not-admitted", func(t *testing.T) {
		sent := sparkDriver("outside-driver", "outside", tuned, nil)
		p, _ := mustCreate(t, nsOutside, sent)
		wantUntouched(t, sent, p)
	})
}

func TestNonTargetsUntouched(t *testing.T) {
	requirePodtune(t)
	other := sparkDriver("other-role", "other", tuned, nil)
	other.Labels["spark-role"] = "shuffle-service"
	history := flinkTaskManager("e2e-session", "history-1", tuned, nil)
	history.Labels["component"] = "historyserver"
	mirror := plainPod("mirror-driver", map[string]string{"spark-role": "driver", "podtune-e2e": "tuned"},
		map[string]string{"kubernetes.io/config.mirror": "0123456789abcdef"})
	mirror.Spec.NodeName = "node-1"
	mirror.Spec.AutomountServiceAccountToken = ptr(false)
	for _, tc := range []struct {
		sent  *corev1.Pod
		calls float64 // podtune calls: the chart's matchConditions keep the rest away
	}{
		{plainPod("web", tuned, nil), 0},
		{plainPod("web-annotated", tuned, map[string]string{annProfile: "e2e-annotated"}), 0},
		{other, 0},
		{history, 1}, // type=flink-native-kubernetes passes the CEL; podtune says not a target
		{mirror, 0},
	} {
		t.Run(tc.sent.Name, func(t *testing.T) {
			before, err := ptTest.requestsTotal()
			if err != nil {
				t.Fatal(err)
			}
			p, _ := mustCreate(t, nsApps, tc.sent)
			wantUntouched(t, tc.sent, p)
			after, err := ptTest.requestsTotal()
			if err != nil {
				t.Fatal(err)
			}
			if after-before != tc.calls {
				t.Errorf("podtune called %v times for this pod, want %v (webhook matchConditions)", after-before, tc.calls)
			}
		})
	}
	t.Run("namespace-without-webhook", func(t *testing.T) {
		sent := sparkDriver("plain-driver", "plain", tuned, nil)
		p, _ := mustCreate(t, nsPlain, sent)
		wantUntouched(t, sent, p)
	})
}

func TestDryRun(t *testing.T) {
	requirePodtune(t)
	ctx := context.Background()
	sent := sparkDriver("dryrun-driver", "dryrun", tuned, nil)
	got, _, err := createPod(ctx, nsApps, sent, true)
	if err != nil {
		t.Fatalf("dry-run create: %v", err)
	}
	wantTuned(t, got, "e2e-spark")
	if n := countConf(got.Spec.Containers[0].Args, "spark.sql.shuffle.partitions=400"); n != 1 {
		t.Errorf("dry-run answer has the --conf %d times, want once: %q", n, got.Spec.Containers[0].Args)
	}
	if got.Spec.Priority == nil || *got.Spec.Priority != highPriorityV {
		t.Errorf("dry-run answer priority %v, want %d", got.Spec.Priority, highPriorityV)
	}
	_, err = cl.cs.CoreV1().Pods(nsApps).Get(ctx, "dryrun-driver", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("dry-run pod was stored (get: %v)", err)
	}
}
