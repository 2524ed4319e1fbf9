package e2e

// The cluster: etcd and kube-apiserver on loopback, started from binaries
// that test/e2e/kube/build.sh built, with certificates and keys made here.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// proc is one child process with its output in a log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func startProc(dir, name string, bin string, args ...string) (*proc, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to grace, then SIGKILL. It returns the exit
// error of the process (nil for exit 0).
func (p *proc) stop(grace time.Duration) error {
	if p == nil {
		return nil
	}
	if !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = p.cmd.Process.Kill()
			<-p.done
			return fmt.Errorf("%s did not exit within %s of SIGTERM", p.name, grace)
		}
	}
	return p.err
}

// tail returns the last n bytes of the process log, for failure messages.
func (p *proc) tail(n int64) string {
	f, err := os.Open(p.log)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, _ := f.Stat()
	if st.Size() > n {
		_, _ = f.Seek(st.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitFor polls check until it returns nil, the process dies or timeout.
func waitFor(what string, p *proc, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited while waiting for %s: %v\n--- log tail ---\n%s", p.name, what, p.err, p.tail(4000))
		}
		if last = check(); last == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	tail := ""
	if p != nil {
		tail = "\n--- log tail ---\n" + p.tail(4000)
	}
	return fmt.Errorf("timed out after %s waiting for %s: %v%s", timeout, what, last, tail)
}

// ---- certificates ---------------------------------------------------------

type certPair struct {
	caPEM, certPEM, keyPEM []byte
}

// makeCerts makes a throwaway CA and a serving certificate for 127.0.0.1
// and localhost, ECDSA P-256.
func makeCerts(cn string) (*certPair, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn + "-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &certPair{
		caPEM:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

func writeFiles(dir string, files map[string][]byte) error {
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// ---- the cluster ----------------------------------------------------------

type cluster struct {
	dir       string
	etcd      *proc
	apiserver *proc
	url       string
	cfg       *rest.Config
	cs        *kubernetes.Clientset
}

func startCluster(dir, binDir string) (*cluster, error) {
	c := &cluster{dir: dir}
	ok := false
	defer func() {
		if !ok {
			c.stop()
		}
	}()
	for _, b := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			return nil, fmt.Errorf("%s not found in %s (run test/e2e/kube/build.sh): %w", b, binDir, err)
		}
	}

	// etcd. --unsafe-no-fsync: the data dir is thrown away after the run,
	// and fsync latency of the CI disk would only add noise to the numbers.
	clientPort, err := freePort()
	if err != nil {
		return nil, err
	}
	peerPort, err := freePort()
	if err != nil {
		return nil, err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	c.etcd, err = startProc(dir, "etcd", filepath.Join(binDir, "etcd"),
		"--name=e2e", "--data-dir="+filepath.Join(dir, "etcd-data"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=e2e="+peerURL, "--initial-cluster-state=new",
		"--unsafe-no-fsync", "--log-level=warn")
	if err != nil {
		return nil, err
	}
	err = waitFor("etcd health", c.etcd, 30*time.Second, func() error {
		resp, err := http.Get(etcdURL + "/health")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"health":"true"`) {
			return fmt.Errorf("etcd /health: %d %s", resp.StatusCode, b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// kube-apiserver: our own serving certificate, a service-account key
	// pair, a static token for a user in system:masters.
	pki := filepath.Join(dir, "pki")
	if err := os.MkdirAll(pki, 0o700); err != nil {
		return nil, err
	}
	serving, err := makeCerts("kube-apiserver")
	if err != nil {
		return nil, err
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	token := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	if err := writeFiles(pki, map[string][]byte{
		"ca.crt":        serving.caPEM,
		"apiserver.crt": serving.certPEM,
		"apiserver.key": serving.keyPEM,
		"sa.key":        pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)}),
		"sa.pub":        pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub}),
		"tokens.csv":    []byte(token + `,e2e-admin,e2e-admin,"system:masters"` + "\n"),
		// Pod creates at Metadata level: the apiserver's record of which
		// webhooks it called, in which round, whether they mutated, and
		// podtune's auditAnnotations.
		"audit-policy.yaml": []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create]
    resources: [{group: "", resources: [pods]}]
  - level: None
`),
	}); err != nil {
		return nil, err
	}
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	c.url = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	c.apiserver, err = startProc(dir, "kube-apiserver", filepath.Join(binDir, "kube-apiserver"),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", apiPort),
		"--tls-cert-file="+filepath.Join(pki, "apiserver.crt"),
		"--tls-private-key-file="+filepath.Join(pki, "apiserver.key"),
		"--token-auth-file="+filepath.Join(pki, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+filepath.Join(pki, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(pki, "sa.key"),
		// A setting only: nothing here sends traffic to service IPs.
		"--service-cluster-ip-range=10.96.0.0/24",
		// No Endpoints for the kubernetes Service (a loopback address is not
		// a valid endpoint, and nobody reads it here).
		"--endpoint-reconciler-type=none",
		// MutatingAdmissionWebhook is on by default; named here to say so.
		"--enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook,Priority,DefaultTolerationSeconds,ServiceAccount",
		"--allow-privileged=true",
		"--audit-policy-file="+filepath.Join(pki, "audit-policy.yaml"),
		"--audit-log-path="+filepath.Join(dir, "audit.log"),
		"--audit-log-format=json",
		"--audit-log-mode=blocking",
		"--v=1")
	if err != nil {
		return nil, err
	}
	c.cfg = &rest.Config{
		Host:            c.url,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: serving.caPEM},
		QPS:             1000,
		Burst:           1000,
		Timeout:         60 * time.Second,
		// tests that look at warnings install their own handler (createPod)
		WarningHandler: rest.NoWarnings{},
	}
	c.cs, err = kubernetes.NewForConfig(c.cfg)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(serving.caPEM)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	err = waitFor("kube-apiserver /readyz", c.apiserver, 120*time.Second, func() error {
		req, _ := http.NewRequest("GET", c.url+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return fmt.Errorf("/readyz %d: %s", resp.StatusCode, lastLines(string(b), 5))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The system PriorityClasses are made by a post-start hook; readyz
	// waits for it, but check the API answers as the admin user too.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.cs.Discovery().ServerVersion(); err != nil {
		return nil, fmt.Errorf("server version: %w", err)
	}
	_ = ctx
	ok = true
	return c, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func (c *cluster) stop() {
	if c == nil {
		return
	}
	// Their exit status after SIGTERM does not matter; only a hang does.
	var errs []error
	var exit *exec.ExitError
	if c.apiserver != nil {
		if err := c.apiserver.stop(20 * time.Second); err != nil && !errors.As(err, &exit) {
			errs = append(errs, err)
		}
	}
	if c.etcd != nil {
		if err := c.etcd.stop(10 * time.Second); err != nil && !errors.As(err, &exit) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stopping cluster:", err)
	}
}
