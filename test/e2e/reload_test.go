package e2e

// Live changes while the apiserver keeps calling podtune (failurePolicy
// Fail): a policy edit arriving as a ConfigMap update, a bad edit, and a
// certificate rotation arriving as a Secret update. Files are laid out as the
// kubelet mounts them: DIR/name -> ..data/name, ..data -> ..<timestamp>/,
// an update swaps ..data with one rename.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

const nsReload = "e2e-reload"

var mountSeq atomic.Int64

// writeMount lays files out in dir as an atomic-writer volume, or swaps the
// new content in if dir already holds one.
func writeMount(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ts := fmt.Sprintf("..%s_%d", time.Now().UTC().Format("2006_01_02_15_04_05"), mountSeq.Add(1))
	if err := os.Mkdir(filepath.Join(dir, ts), 0o755); err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, ts, name), data, 0o644); err != nil {
			return err
		}
	}
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	tmp := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(ts, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		return err
	}
	for name := range files {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); os.IsNotExist(err) {
			if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
				return err
			}
		}
	}
	if old != "" {
		_ = os.RemoveAll(filepath.Join(dir, old))
	}
	return nil
}

func reloadPolicy(version string) []byte {
	return []byte(`apiVersion: podtune.io/v1
kind: Profile
metadata:
  name: e2e-reload
spec:
  match:
    workloads: [spark]
  roles:
    all:
      labels: {e2e-version: "` + version + `"}
`)
}

// signLeaf makes a serving certificate for 127.0.0.1 signed by the CA that
// `podtune certs` wrote, valid for validity.
func signLeaf(validity time.Duration) (certPEM, keyPEM []byte, leaf *x509.Certificate, err error) {
	caPEM, err := os.ReadFile(filepath.Join(certs.dir, "ca.crt"))
	if err != nil {
		return nil, nil, nil, err
	}
	caKeyPEM, err := os.ReadFile(filepath.Join(certs.dir, "ca.key"))
	if err != nil {
		return nil, nil, nil, err
	}
	cb, _ := pem.Decode(caPEM)
	kb, _ := pem.Decode(caKeyPEM)
	if cb == nil || kb == nil {
		return nil, nil, nil, fmt.Errorf("ca.crt or ca.key is not PEM")
	}
	ca, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, nil, err
	}
	var caKey interface{}
	if caKey, err = x509.ParsePKCS8PrivateKey(kb.Bytes); err != nil {
		if caKey, err = x509.ParseECPrivateKey(kb.Bytes); err != nil {
			return nil, nil, nil, fmt.Errorf("ca.key: %w", err)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	now := time.Now().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"podtune-e2e-rotated"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	leaf, _ = x509.ParseCertificate(der)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), leaf, nil
}

func TestLiveReload(t *testing.T) {
	requirePodtune(t)
	ctx := context.Background()
	if err := ensureNamespace(ctx, nsReload, "reload"); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(workDir, "reload")
	polDir, tlsDir := filepath.Join(base, "policies"), filepath.Join(base, "tls")
	if err := writeMount(polDir, map[string][]byte{"profiles.yaml": reloadPolicy("1")}); err != nil {
		t.Fatal(err)
	}
	crt, _ := os.ReadFile(filepath.Join(certs.dir, "tls.crt"))
	key, _ := os.ReadFile(filepath.Join(certs.dir, "tls.key"))
	caPEM, _ := os.ReadFile(filepath.Join(certs.dir, "ca.crt"))
	if err := writeMount(tlsDir, map[string][]byte{"tls.crt": crt, "tls.key": key, "ca.crt": caPEM}); err != nil {
		t.Fatal(err)
	}
	pt, err := startPodtune(workDir, "podtune-reload", polDir, &webhookCerts{dir: tlsDir, caBundle: certs.caBundle})
	if err != nil {
		t.Fatal(err)
	}
	defer pt.stop()
	if err := registerPodtune(ctx, "podtune-e2e-reload", pt, certs.caBundle, "Fail", "reload"); err != nil {
		t.Fatal(err)
	}
	defer deleteWebhookConfig(ctx, "podtune-e2e-reload")
	if err := waitTuned(ctx, nsReload, "e2e-reload"); err != nil {
		t.Fatal(err)
	}
	version := func() (string, string, error) {
		p, _, err := createPod(ctx, nsReload, sparkDriver("probe", "probe", nil, nil), true)
		if err != nil {
			return "", "", err
		}
		return p.Labels["e2e-version"], p.Annotations[annDigest], nil
	}
	v1, digest1, err := version()
	if err != nil || v1 != "1" {
		t.Fatalf("before the edit: version %q, %v", v1, err)
	}

	t.Run("policy-edit", func(t *testing.T) {
		if err := writeMount(polDir, map[string][]byte{"profiles.yaml": reloadPolicy("2")}); err != nil {
			t.Fatal(err)
		}
		var digest2 string
		err := waitFor("edited policy in effect", pt.p, 15*time.Second, func() error {
			v, d, err := version()
			if err != nil {
				return err
			}
			if v != "2" {
				return fmt.Errorf("still version %q", v)
			}
			digest2 = d
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if digest2 == digest1 || !digestRE.MatchString(digest2) {
			t.Errorf("policy-digest %q after the edit, was %q", digest2, digest1)
		}
	})

	t.Run("bad-edit-ignored", func(t *testing.T) {
		before, err := pt.metricWhere("podtune_policy_reloads_total", `result="error"`)
		if err != nil {
			t.Fatal(err)
		}
		bad := append(reloadPolicy("3"), []byte("    no-such-key: true\n")...)
		if err := writeMount(polDir, map[string][]byte{"profiles.yaml": bad}); err != nil {
			t.Fatal(err)
		}
		err = waitFor("the bad edit to be refused", pt.p, 15*time.Second, func() error {
			n, err := pt.metricWhere("podtune_policy_reloads_total", `result="error"`)
			if err != nil {
				return err
			}
			if n <= before {
				return fmt.Errorf("reload errors %v", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if v, _, err := version(); err != nil || v != "2" {
			t.Errorf("after a bad edit: version %q (%v), want the last good set (2) still serving", v, err)
		}
	})

	t.Run("certificate-rotation", func(t *testing.T) {
		// Pods keep coming while the Secret is updated; with failurePolicy
		// Fail a single failed call would refuse one.
		var (
			stop    atomic.Bool
			wg      sync.WaitGroup
			created atomic.Int64
			mu      sync.Mutex
			errs    []error
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				p := sparkExecutor(fmt.Sprintf("rot-exec-%d", i), "rot", fmt.Sprint(i), nil, nil, nil)
				got, _, err := createPod(ctx, nsReload, p, false)
				if err == nil && got.Labels["e2e-version"] != "2" {
					err = fmt.Errorf("pod %s not tuned: %v", got.Name, got.Labels)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				created.Add(1)
			}
		}()
		time.Sleep(500 * time.Millisecond)
		crt, key, leaf, err := signLeaf(48 * time.Hour)
		if err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatal(err)
		}
		if err := writeMount(tlsDir, map[string][]byte{"tls.crt": crt, "tls.key": key, "ca.crt": caPEM}); err != nil {
			t.Fatal(err)
		}
		err = waitFor("rotated certificate served", pt.p, 20*time.Second, func() error {
			exp, err := pt.metric("podtune_tls_certificate_expiry_timestamp_seconds")
			if err != nil {
				return err
			}
			if int64(exp) != leaf.NotAfter.Unix() {
				return fmt.Errorf("expiry metric %v, want %d", exp, leaf.NotAfter.Unix())
			}
			// a new connection is served the new certificate
			conn, err := tls.Dial("tcp", pt.addr, &tls.Config{RootCAs: pt.client.Transport.(*http.Transport).TLSClientConfig.RootCAs, ServerName: "127.0.0.1"})
			if err != nil {
				return err
			}
			defer conn.Close()
			if got := conn.ConnectionState().PeerCertificates[0].SerialNumber; got.Cmp(leaf.SerialNumber) != 0 {
				return fmt.Errorf("new connection got serial %s, want %s", got, leaf.SerialNumber)
			}
			return nil
		})
		time.Sleep(500 * time.Millisecond)
		stop.Store(true)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d pods created across the rotation", created.Load())
		for i, e := range errs {
			if i < 5 {
				t.Errorf("during the rotation: %v", e)
			}
		}
		if len(errs) > 0 {
			t.Errorf("%d of %d creates failed during the certificate rotation", len(errs), created.Load())
		}
		if _, _, err := version(); err != nil {
			t.Errorf("after the rotation: %v", err)
		}
	})
	_ = corev1.PodPending
}
