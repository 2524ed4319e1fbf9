package e2e

// podtune instances (the real binary) and the webhook configurations that
// point the apiserver at them, rendered from the Helm chart's shared file.

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	admv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// webhookCerts are made once by `podtune certs` and shared by all instances.
type webhookCerts struct {
	dir      string
	caBundle string // base64, as printed by `podtune certs`
}

func makeWebhookCerts(dir string) (*webhookCerts, error) {
	out := filepath.Join(dir, "podtune-certs")
	cmd := exec.Command(podtuneBin, "certs", "--out", out, "--dns", "localhost", "--ip", "127.0.0.1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("podtune certs: %v: %s", err, stderr.String())
	}
	ca, err := os.ReadFile(filepath.Join(out, "ca.crt"))
	if err != nil {
		return nil, fmt.Errorf("podtune certs wrote no ca.crt: %w", err)
	}
	for _, f := range []string{"tls.crt", "tls.key"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			return nil, fmt.Errorf("podtune certs wrote no %s: %w", f, err)
		}
	}
	bundle := strings.TrimSpace(string(stdout))
	dec, err := base64.StdEncoding.DecodeString(bundle)
	if err != nil || strings.TrimSpace(string(dec)) != strings.TrimSpace(string(ca)) {
		return nil, fmt.Errorf("podtune certs: stdout is not the base64 of ca.crt (got %q)", clip(bundle, 80))
	}
	return &webhookCerts{dir: out, caBundle: bundle}, nil
}

// podtuneServer is one running `podtune serve`.
type podtuneServer struct {
	name        string
	policies    string
	addr        string // host:port of the webhook
	metricsAddr string
	p           *proc
	client      *http.Client
}

func startPodtune(dir, name, policies string, certs *webhookCerts) (*podtuneServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	mport, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &podtuneServer{
		name: name, policies: policies,
		addr:        fmt.Sprintf("127.0.0.1:%d", port),
		metricsAddr: fmt.Sprintf("127.0.0.1:%d", mport),
	}
	ca, err := os.ReadFile(filepath.Join(certs.dir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	s.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	s.p, err = startProc(dir, name, podtuneBin, "serve",
		"--policies", policies,
		"--tls-cert", filepath.Join(certs.dir, "tls.crt"),
		"--tls-key", filepath.Join(certs.dir, "tls.key"),
		"--addr", s.addr, "--metrics-addr", s.metricsAddr)
	if err != nil {
		return nil, err
	}
	err = waitFor(name+" /readyz", s.p, 30*time.Second, func() error {
		resp, err := s.client.Get("https://" + s.addr + "/readyz")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("/readyz: %d", resp.StatusCode)
		}
		return nil
	})
	if err != nil {
		_ = s.p.stop(5 * time.Second)
		return nil, err
	}
	return s, nil
}

func (s *podtuneServer) url() string { return "https://" + s.addr + "/mutate" }

// requestsTotal sums podtune_admission_requests_total over all labels.
func (s *podtuneServer) requestsTotal() (float64, error) {
	return s.metric("podtune_admission_requests_total")
}

// metric sums one metric (all label sets) from podtune's /metrics.
func (s *podtuneServer) metric(name string) (float64, error) {
	return s.metricWhere(name, "")
}

// metricWhere sums the series of one metric whose labels contain labels
// (e.g. `result="error"`).
func (s *podtuneServer) metricWhere(name, labels string) (float64, error) {
	resp, err := http.Get("http://" + s.metricsAddr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("/metrics: %d", resp.StatusCode)
	}
	var sum float64
	found := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := strings.TrimPrefix(line, name)
		if rest != "" && rest[0] != '{' && rest[0] != ' ' {
			continue
		}
		if labels != "" && !strings.Contains(rest[:strings.LastIndex(rest, "}")+1], labels) {
			continue
		}
		fields := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("metrics line %q: %v", line, err)
		}
		sum += v
		found = true
	}
	if !found {
		return 0, fmt.Errorf("no %s in /metrics", name)
	}
	return sum, sc.Err()
}

func (s *podtuneServer) stop() error {
	if s == nil {
		return nil
	}
	return s.p.stop(15 * time.Second)
}

// ---- the webhook configuration ---------------------------------------------

// chartWebhookFile is the webhook entry shared with the Helm chart: the
// chart includes it with `tpl`, the harness substitutes the same
// placeholders itself (see charts/podtune/files/README.md).
func chartWebhookFile() string {
	return filepath.Join(repoRoot, "charts", "podtune", "files", "mutating-webhook.yaml")
}

var placeholder = regexp.MustCompile(`\{\{-?\s*([^{}]*?)\s*-?\}\}`)

// renderWebhook renders the chart's webhook entry with the given values
// (keys like ".Values.webhook.failurePolicy", ".Release.Namespace"). Anything
// in {{ }} that is not a plain value reference is an error: the file must
// stay renderable without helm.
func renderWebhook(values map[string]string) (*admv1.MutatingWebhook, error) {
	raw, err := os.ReadFile(chartWebhookFile())
	if err != nil {
		return nil, err
	}
	var missing []string
	out := placeholder.ReplaceAllStringFunc(string(raw), func(m string) string {
		key := placeholder.FindStringSubmatch(m)[1]
		v, ok := values[key]
		if !ok {
			missing = append(missing, key)
		}
		return v
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: no value for %v (keep the file to plain {{ .Values.x }} references)", chartWebhookFile(), missing)
	}
	var m map[string]interface{}
	if err := yaml.Unmarshal([]byte(out), &m); err != nil {
		return nil, fmt.Errorf("%s: rendered YAML does not parse: %w", chartWebhookFile(), err)
	}
	b, _ := json.Marshal(m)
	var wh admv1.MutatingWebhook
	if err := json.Unmarshal(b, &wh); err != nil {
		return nil, fmt.Errorf("%s: not a MutatingWebhook: %w", chartWebhookFile(), err)
	}
	return &wh, nil
}

// registerPodtune creates a MutatingWebhookConfiguration named name that
// sends pods in namespaces labelled podtune-e2e/target=<target> to s by URL.
func registerPodtune(ctx context.Context, name string, s *podtuneServer, caBundle, failurePolicy string, targets ...string) error {
	wh, err := renderWebhook(map[string]string{
		".Values.webhook.failurePolicy":      failurePolicy,
		".Values.webhook.reinvocationPolicy": "IfNeeded",
		".Values.webhook.timeoutSeconds":     "10",
		".Release.Namespace":                 "podtune",
	})
	if err != nil {
		return err
	}
	ca, _ := base64.StdEncoding.DecodeString(caBundle)
	url := s.url()
	wh.ClientConfig = admv1.WebhookClientConfig{URL: &url, CABundle: ca}
	if wh.NamespaceSelector == nil {
		wh.NamespaceSelector = &metav1.LabelSelector{}
	}
	wh.NamespaceSelector.MatchExpressions = append(wh.NamespaceSelector.MatchExpressions,
		metav1.LabelSelectorRequirement{Key: targetLabel, Operator: metav1.LabelSelectorOpIn, Values: targets})
	cfg := &admv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks:   []admv1.MutatingWebhook{*wh},
	}
	return applyWebhookConfig(ctx, cfg)
}

func applyWebhookConfig(ctx context.Context, cfg *admv1.MutatingWebhookConfiguration) error {
	api := cl.cs.AdmissionregistrationV1().MutatingWebhookConfigurations()
	old, err := api.Get(ctx, cfg.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = api.Create(ctx, cfg, metav1.CreateOptions{})
	case err == nil:
		cfg.ResourceVersion = old.ResourceVersion
		_, err = api.Update(ctx, cfg, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("webhook configuration %s: %w", cfg.Name, err)
	}
	return nil
}

func deleteWebhookConfig(ctx context.Context, name string) {
	_ = cl.cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, name, metav1.DeleteOptions{})
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

var _ = io.Discard
