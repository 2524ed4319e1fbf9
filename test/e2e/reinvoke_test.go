package e2e

// A second mutating webhook (served here) changes pods after podtune; the
// apiserver calls podtune again (reinvocationPolicy: IfNeeded) and the
// stored pod must have converged: nothing podtune adds appears twice, and
// what the other webhook removed is put back.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const secondConfig = "zz-e2e-second" // sorts after podtune-e2e-test: called after podtune

var secondTol = corev1.Toleration{Key: "e2e-second", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}

// secondWebhook adds an annotation and a toleration to every pod; for pods
// labelled e2e-second=strip it also removes podtune's dedicated toleration
// and cost-center label.
func secondWebhook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 3<<20))
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		http.Error(w, "bad review", http.StatusBadRequest)
		return
	}
	var pod corev1.Pod
	_ = json.Unmarshal(review.Request.Object.Raw, &pod)
	type op struct {
		Op    string      `json:"op"`
		Path  string      `json:"path"`
		Value interface{} `json:"value,omitempty"`
	}
	var ops []op
	if pod.Annotations == nil {
		ops = append(ops, op{"add", "/metadata/annotations", map[string]string{}})
	}
	ops = append(ops, op{"add", "/metadata/annotations/e2e.podtune.io~1second", "seen"})
	var tols []corev1.Toleration
	strip := pod.Labels["e2e-second"] == "strip"
	for _, t := range pod.Spec.Tolerations {
		if strip && t.Key == "dedicated" {
			continue
		}
		tols = append(tols, t)
	}
	if tolerationCount(&pod, secondTol) == 0 {
		tols = append(tols, secondTol)
	}
	ops = append(ops, op{"add", "/spec/tolerations", tols}) // add on an existing member replaces it
	if strip {
		if _, ok := pod.Labels["cost-center"]; ok {
			ops = append(ops, op{"remove", "/metadata/labels/cost-center", nil})
		}
	}
	patch, _ := json.Marshal(ops)
	pt := admissionv1.PatchTypeJSONPatch
	review.Response = &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true, Patch: patch, PatchType: &pt}
	review.Request = nil
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&review)
}

var noopCalls atomic.Int64

// noopWebhook allows every request unchanged: the cost of any webhook.
func noopWebhook(w http.ResponseWriter, r *http.Request) {
	noopCalls.Add(1)
	body, _ := io.ReadAll(io.LimitReader(r.Body, 3<<20))
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		http.Error(w, "bad review", http.StatusBadRequest)
		return
	}
	review.Response = &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	review.Request = nil
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&review)
}

// goWebhookConfig is a configuration for the harness's own Go webhook at
// url, for namespaces labelled podtune-e2e/target=target.
func goWebhookConfig(name, url string, ca []byte, target string) *admv1.MutatingWebhookConfiguration {
	none := admv1.SideEffectClassNone
	fail := admv1.Fail
	never := admv1.NeverReinvocationPolicy
	return &admv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks: []admv1.MutatingWebhook{{
			Name:                    strings.TrimPrefix(name, "zz-e2e-") + ".e2e.podtune.io",
			ClientConfig:            admv1.WebhookClientConfig{URL: &url, CABundle: ca},
			Rules:                   []admv1.RuleWithOperations{{Operations: []admv1.OperationType{admv1.Create}, Rule: admv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{targetLabel: target}},
			SideEffects:             &none,
			FailurePolicy:           &fail,
			ReinvocationPolicy:      &never,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
}

func startSecondWebhook(t *testing.T) (url string, caPEM []byte) {
	t.Helper()
	cp, err := makeCerts("e2e-second")
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFiles(workDir, map[string][]byte{"second.crt": cp.certPEM, "second.key": cp.keyPEM}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/mutate", secondWebhook)
	mux.HandleFunc("/noop", noopWebhook)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.ServeTLS(l, workDir+"/second.crt", workDir+"/second.key") }()
	t.Cleanup(func() { _ = srv.Close() })
	return fmt.Sprintf("https://%s/mutate", l.Addr()), cp.caPEM
}

func TestReinvocationConverges(t *testing.T) {
	requirePodtune(t)
	ctx := context.Background()
	url, ca := startSecondWebhook(t)
	cfg := goWebhookConfig(secondConfig, url, ca, "reinvoke")
	if err := applyWebhookConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer deleteWebhookConfig(ctx, secondConfig)
	err := waitFor("second webhook in effect", nil, 30*time.Second, func() error {
		got, _, err := createPod(ctx, nsReinvoke, sparkDriver("probe", "probe", tuned, nil), true)
		if err != nil {
			return err
		}
		if got.Annotations["e2e.podtune.io/second"] != "seen" || got.Annotations[annApplied] == "" {
			return fmt.Errorf("probe annotations %v", got.Annotations)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		strip bool
	}{{"adds", false}, {"strips", true}} {
		t.Run(tc.name, func(t *testing.T) {
			labels := map[string]string{"podtune-e2e": "tuned"}
			if tc.strip {
				labels["e2e-second"] = "strip"
			}
			before, err := ptTest.requestsTotal()
			if err != nil {
				t.Fatalf("podtune metrics: %v", err)
			}
			p, _ := mustCreate(t, nsReinvoke, sparkDriver("reinvoke-"+tc.name, "reinvoke", labels, nil))
			after, err := ptTest.requestsTotal()
			if err != nil {
				t.Fatalf("podtune metrics: %v", err)
			}
			if after-before < 2 {
				t.Errorf("podtune was called %v times for one pod, want 2 (first call and reinvocation)", after-before)
			}
			// the apiserver's own record: podtune, the second webhook, podtune again
			ev, err := auditFor(nsReinvoke, p.Name)
			if err != nil {
				t.Fatal(err)
			}
			var order []string
			for _, c := range ev.calls() {
				order = append(order, c.Key[:len("round_0")]+":"+c.Webhook)
			}
			want := []string{"round_0:pods.podtune.io", "round_0:second.e2e.podtune.io", "round_1:pods.podtune.io"}
			if !reflect.DeepEqual(order, want) {
				t.Errorf("apiserver recorded calls %s, want podtune, second, podtune reinvoked", ev.callsString())
			} else if last := ev.calls()[2]; last.Mutated != tc.strip {
				// idempotence through the real apiserver: when the second
				// webhook only added, podtune's second answer has no patch;
				// when it removed podtune's changes, podtune puts them back
				t.Errorf("reinvoked podtune mutated=%v, want %v (%s)", last.Mutated, tc.strip, ev.callsString())
			}
			wantSparkCommon(t, p) // podtune's toleration once, labels/annotations present
			wantToleration(t, p, secondTol)
			if p.Annotations["e2e.podtune.io/second"] != "seen" {
				t.Errorf("second webhook's annotation missing: %v", p.Annotations)
			}
			args := p.Spec.Containers[0].Args
			if n := countConf(args, "spark.sql.shuffle.partitions=400"); n != 1 {
				t.Errorf("--conf spark.sql.shuffle.partitions=400 appears %d times, want once: %q", n, args)
			}
			c := container(t, p, "spark-kubernetes-driver")
			wantEnv(t, c, "PODTUNE_E2E", "driver")
		})
	}
}
