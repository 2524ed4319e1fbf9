package e2e

// podtune stopped: with failurePolicy Ignore pods are still created (as
// sent); with Fail they are refused with a message naming the webhook.

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

func TestFailurePolicy(t *testing.T) {
	requirePodtune(t)
	ctx := context.Background()
	pt, err := startPodtune(workDir, "podtune-failure", filepath.Join(repoRoot, "test", "e2e", "policies"), certs)
	if err != nil {
		t.Fatal(err)
	}
	defer pt.stop()
	for name, fp := range map[string]string{"podtune-e2e-ignore": "Ignore", "podtune-e2e-fail": "Fail"} {
		target := strings.ToLower(fp)
		if err := registerPodtune(ctx, name, pt, certs.caBundle, fp, target); err != nil {
			t.Fatal(err)
		}
		defer deleteWebhookConfig(ctx, name)
	}
	// Both in effect while podtune runs...
	for _, ns := range []string{nsIgnore, nsFail} {
		if err := waitTuned(ctx, ns, "e2e-spark"); err != nil {
			t.Fatal(err)
		}
	}
	// ...then stop it. SIGTERM is a clean stop (contract §6: exit 0).
	if err := pt.stop(); err != nil {
		t.Errorf("podtune serve on SIGTERM: %v", err)
	}

	t.Run("Ignore", func(t *testing.T) {
		sent := sparkDriver("ignored-driver", "ignored", tuned, nil)
		p, _ := mustCreate(t, nsIgnore, sent)
		wantUntouched(t, sent, p)
	})
	t.Run("Fail", func(t *testing.T) {
		_, _, err := createPod(ctx, nsFail, sparkDriver("refused-driver", "refused", tuned, nil), false)
		if err == nil {
			t.Fatal("pod created although podtune is down and failurePolicy is Fail")
		}
		t.Logf("refused as expected: %v", err)
		msg := err.Error()
		if !strings.Contains(msg, `failed calling webhook "pods.podtune.io"`) {
			t.Errorf("refusal does not name the webhook: %s", msg)
		}
		if !apierrors.IsInternalError(err) {
			t.Errorf("refusal is not an InternalError (500): %v", apierrors.ReasonForError(err))
		}
		// a pod that is not Spark or Flink is not sent to podtune at all
		p, _ := mustCreate(t, nsFail, plainPod("web-while-down", nil, nil))
		if p == nil {
			t.Error("non-target pod refused")
		}
	})
}
