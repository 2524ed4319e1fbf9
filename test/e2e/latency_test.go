package e2e

// What podtune adds to a pod create: the same executor pod created N times
// in a namespace without any webhook, N times with a no-op Go webhook and N
// times with podtune, same apiserver, interleaved so drift hits all alike. A printout, not a
// timed assertion (CI machines vary too much for that).

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

// tcpStates counts the loopback TCP sockets on addr's port by state, from
// /proc/net/tcp: many TIME_WAIT after the run means a connection per review.
func tcpStates(addr string) string {
	_, portStr, _ := strings.Cut(addr, ":")
	port, _ := strconv.Atoi(portStr)
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return "n/a"
	}
	names := map[string]string{"01": "established", "06": "time-wait", "08": "close-wait", "0A": "listen"}
	counts := map[string]int{}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		for _, end := range f[1:3] {
			_, hexPort, _ := strings.Cut(end, ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); err == nil && int(p) == port {
				st := names[f[3]]
				if st == "" {
					st = "state-" + f[3]
				}
				counts[st]++
			}
		}
	}
	var parts []string
	for _, k := range []string{"listen", "established", "time-wait", "close-wait"} {
		parts = append(parts, fmt.Sprintf("%s=%d", k, counts[k]))
		delete(counts, k)
	}
	for k, v := range counts {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	return strings.Join(parts, " ")
}

// webhookDurations reads the apiserver's own histogram of webhook calls:
// name -> {sum seconds, count}.
func webhookDurations(ctx context.Context) map[string][2]float64 {
	out := map[string][2]float64{}
	raw, err := cl.cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return out
	}
	const base = "apiserver_admission_webhook_admission_duration_seconds"
	for _, line := range strings.Split(string(raw), "\n") {
		var idx int
		switch {
		case strings.HasPrefix(line, base+"_sum{"):
			idx = 0
		case strings.HasPrefix(line, base+"_count{"):
			idx = 1
		default:
			continue
		}
		_, rest, _ := strings.Cut(line, `name="`)
		name, _, _ := strings.Cut(rest, `"`)
		f := strings.Fields(line[strings.LastIndex(line, "}")+1:])
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		cur := out[name]
		cur[idx] += v
		out[name] = cur
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

func TestCreateLatency(t *testing.T) {
	requirePodtune(t)
	n := 300
	if s := os.Getenv("E2E_LATENCY_PODS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("E2E_LATENCY_PODS=%q", s)
		}
		n = v
	}
	ctx := context.Background()
	pods := cl.cs.CoreV1()
	// the same apiserver path with a webhook that does nothing: what any
	// webhook costs, to set podtune's share against
	url, ca := startSecondWebhook(t)
	url = strings.TrimSuffix(url, "/mutate") + "/noop"
	if err := applyWebhookConfig(ctx, goWebhookConfig("e2e-noop", url, ca, "noop")); err != nil {
		t.Fatal(err)
	}
	defer deleteWebhookConfig(ctx, "e2e-noop")
	err := waitFor("no-op webhook in effect", nil, 30*time.Second, func() error {
		before := noopCalls.Load()
		if _, _, err := createPod(ctx, nsLatencyNoop, plainPod("probe", nil, nil), true); err != nil {
			return err
		}
		if noopCalls.Load() == before {
			return fmt.Errorf("not called yet")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	nss := []string{nsLatencyOff, nsLatencyNoop, nsLatencyOn}
	const warmup = 20
	lat := map[string][]time.Duration{}
	var sum0, cnt0 float64
	var api0 map[string][2]float64
	tcp0 := tcpStates(ptTest.addr)
	for i := 0; i < warmup+n; i++ {
		for _, ns := range nss {
			pod := sparkExecutor(fmt.Sprintf("lat-exec-%d", i), "lat", strconv.Itoa(i), nil, tuned, nil)
			start := time.Now()
			got, err := pods.Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
			d := time.Since(start)
			if err != nil {
				t.Fatalf("create %s/%s: %v", ns, pod.Name, err)
			}
			if i == 0 {
				tunedNow := got.Annotations[annApplied] != ""
				if tunedNow != (ns == nsLatencyOn) {
					t.Fatalf("pod in %s tuned=%v: the comparison would be meaningless", ns, tunedNow)
				}
			}
			if i >= warmup {
				lat[ns] = append(lat[ns], d)
			}
		}
		if i == warmup-1 {
			sum0, _ = ptTest.metric("podtune_admission_duration_seconds_sum")
			cnt0, _ = ptTest.metric("podtune_admission_duration_seconds_count")
			api0 = webhookDurations(ctx)
		}
	}
	own := "n/a"
	sum1, err1 := ptTest.metric("podtune_admission_duration_seconds_sum")
	cnt1, err2 := ptTest.metric("podtune_admission_duration_seconds_count")
	if err1 == nil && err2 == nil && cnt1 > cnt0 {
		own = fmt.Sprintf("%.3fms mean over %.0f reviews", (sum1-sum0)/(cnt1-cnt0)*1000, cnt1-cnt0)
	}
	tcp1 := tcpStates(ptTest.addr)
	api1 := webhookDurations(ctx)
	seen := func(name string) string {
		a, b := api0[name], api1[name]
		if b[1] <= a[1] {
			return "n/a"
		}
		return fmt.Sprintf("%.3fms", (b[0]-a[0])/(b[1]-a[1])*1000)
	}
	for _, ns := range nss {
		l := lat[ns]
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	}
	off, noop, on := lat[nsLatencyOff], lat[nsLatencyNoop], lat[nsLatencyOn]
	p50off, p99off := percentile(off, 50), percentile(off, 99)
	p50noop, p99noop := percentile(noop, 50), percentile(noop, 99)
	p50on, p99on := percentile(on, 50), percentile(on, 99)
	report := fmt.Sprintf("pod create latency, %d pods each (after %d warm-up), same apiserver:\n"+
		"  without webhook : p50 %s  p99 %s\n"+
		"  no-op Go webhook: p50 %s  p99 %s\n"+
		"  with podtune    : p50 %s  p99 %s\n"+
		"  podtune adds    : p50 %+.2fms  p99 %+.2fms (vs the no-op webhook: p50 %+.2fms  p99 %+.2fms)\n"+
		"  webhook call as the apiserver times it (mean): podtune %s, no-op %s\n"+
		"  of which podtune's own handling (its duration histogram): %s\n"+
		"  TCP connections on podtune's port before/after: %s / %s",
		n, warmup, ms(p50off), ms(p99off), ms(p50noop), ms(p99noop), ms(p50on), ms(p99on),
		float64((p50on-p50off).Microseconds())/1000, float64((p99on-p99off).Microseconds())/1000,
		float64((p50on-p50noop).Microseconds())/1000, float64((p99on-p99noop).Microseconds())/1000,
		seen("pods.podtune.io"), seen("e2e-noop.e2e.podtune.io"), own, tcp0, tcp1)
	fmt.Println("e2e: " + report)
	_ = os.WriteFile(workDir+"/latency.txt", []byte(report+"\n"), 0o644)
	for _, ns := range nss {
		_ = pods.Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}, metav1.ListOptions{})
	}
}
