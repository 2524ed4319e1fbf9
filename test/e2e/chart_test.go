package e2e

// The Helm chart (charts/podtune), rendered by a real helm: its webhook
// entry is the one the harness registers, its objects are accepted by the
// apiserver, and its policies ConfigMap is a set podtune serves.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	admv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

var chartKinds = map[string]schema.GroupVersionResource{
	"Deployment":                   {Group: "apps", Version: "v1", Resource: "deployments"},
	"Service":                      {Version: "v1", Resource: "services"},
	"ConfigMap":                    {Version: "v1", Resource: "configmaps"},
	"ServiceAccount":               {Version: "v1", Resource: "serviceaccounts"},
	"PodDisruptionBudget":          {Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"},
	"MutatingWebhookConfiguration": {Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"},
}

func TestHelmChart(t *testing.T) {
	requirePodtune(t)
	helm := os.Getenv("E2E_HELM")
	if helm == "" {
		t.Skip("no helm (E2E_HELM unset): kube/build.sh could not build it")
	}
	ctx := context.Background()
	const ns = "podtune"
	if err := ensureNamespace(ctx, ns, "none"); err != nil {
		t.Fatal(err)
	}
	v, _ := cl.cs.Discovery().ServerVersion()
	cmd := exec.Command(helm, "template", "podtune", filepath.Join(repoRoot, "charts", "podtune"),
		"--namespace", ns, "--kube-version", v.GitVersion,
		"--set", "webhook.url="+ptTest.url(),
		"--set", "webhook.caBundle="+certs.caBundle,
		"--set", "webhook.failurePolicy=Fail",
		"--set", "tls.existingSecret=podtune-tls")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr.String())
	}
	_ = os.WriteFile(filepath.Join(workDir, "chart-rendered.yaml"), out, 0o644)

	dyn, err := dynamic.NewForConfig(cl.cfg)
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	seen := map[string]bool{}
	for {
		var obj unstructured.Unstructured
		if err := dec.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("rendered chart: %v", err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		kind := obj.GetKind()
		seen[kind] = true
		gvr, ok := chartKinds[kind]
		if !ok {
			t.Errorf("chart renders an unexpected %s %s", kind, obj.GetName())
			continue
		}
		raw, _ := json.Marshal(obj.Object)
		switch kind {
		case "MutatingWebhookConfiguration":
			checkChartWebhook(t, raw)
			// dry-run only: registered for real it would catch every test's pods
			if _, err := dyn.Resource(gvr).Create(ctx, &obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
				t.Errorf("apiserver refuses the chart's %s: %v", kind, err)
			}
			continue
		case "Deployment":
			checkChartDeployment(t, raw)
		case "ConfigMap":
			checkChartPolicies(t, raw)
		}
		if _, err := dyn.Resource(gvr).Namespace(ns).Create(ctx, &obj, metav1.CreateOptions{}); err != nil {
			t.Errorf("apiserver refuses the chart's %s %s: %v", kind, obj.GetName(), err)
		}
	}
	for kind := range chartKinds {
		if !seen[kind] {
			t.Errorf("chart renders no %s", kind)
		}
	}
}

// checkChartWebhook: helm's rendering of files/mutating-webhook.yaml equals
// the harness's own, so what the e2e tier registers is what users install.
func checkChartWebhook(t *testing.T, raw []byte) {
	t.Helper()
	var cfg admv1.MutatingWebhookConfiguration
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Webhooks) != 1 {
		t.Fatalf("%d webhooks in the chart's configuration, want 1", len(cfg.Webhooks))
	}
	got := cfg.Webhooks[0]
	if got.ClientConfig.URL == nil || *got.ClientConfig.URL != ptTest.url() || len(got.ClientConfig.CABundle) == 0 {
		t.Errorf("clientConfig %+v, want url %s and the CA bundle", got.ClientConfig, ptTest.url())
	}
	want, err := renderWebhook(map[string]string{
		".Values.webhook.failurePolicy":      "Fail",
		".Values.webhook.reinvocationPolicy": "IfNeeded",
		".Values.webhook.timeoutSeconds":     "5",
		".Release.Namespace":                 "podtune",
	})
	if err != nil {
		t.Fatal(err)
	}
	want.ClientConfig = got.ClientConfig
	if !reflect.DeepEqual(*want, got) {
		a, _ := json.MarshalIndent(want, "", " ")
		b, _ := json.MarshalIndent(got, "", " ")
		t.Errorf("helm renders the webhook differently from the harness:\nharness %s\nhelm    %s", a, b)
	}
}

func checkChartDeployment(t *testing.T, raw []byte) {
	t.Helper()
	var d appsv1.Deployment
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	c := d.Spec.Template.Spec.Containers[0]
	want := []string{"serve", "--policies", "/etc/podtune/policies", "--tls-cert", "/etc/podtune/tls/tls.crt",
		"--tls-key", "/etc/podtune/tls/tls.key", "--addr", "0.0.0.0:8443", "--metrics-addr", "0.0.0.0:9090"}
	if len(c.Args) < len(want) || !reflect.DeepEqual(c.Args[:len(want)], want) {
		t.Errorf("podtune args %q, want them to start %q", c.Args, want)
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Scheme != corev1.URISchemeHTTPS {
			t.Errorf("%s probe %+v, want HTTPS GET %s", p.name, p.probe, p.path)
		}
	}
}

// checkChartPolicies: the ConfigMap's files, written out as the kubelet
// would mount them, are a policy set podtune serves.
func checkChartPolicies(t *testing.T, raw []byte) {
	t.Helper()
	var cm corev1.ConfigMap
	if err := json.Unmarshal(raw, &cm); err != nil {
		t.Fatal(err)
	}
	if len(cm.Data) == 0 {
		t.Errorf("policies ConfigMap %s is empty", cm.Name)
		return
	}
	dir := filepath.Join(workDir, "chart-policies")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range cm.Data {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := startPodtune(workDir, "podtune-chart-policies", dir, certs)
	if err != nil {
		t.Errorf("podtune does not serve the chart's policies ConfigMap: %v", err)
		return
	}
	if err := s.stop(); err != nil {
		t.Errorf("podtune serve on SIGTERM: %v", err)
	}
}
