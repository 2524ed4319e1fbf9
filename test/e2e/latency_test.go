package e2e

// What podtune adds to a pod create: the same executor pod created N times
// in a namespace without the webhook and N times in one with it, same
// apiserver, interleaved so drift hits both alike. A printout, not a
// timed assertion (CI machines vary too much for that).

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
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
	const warmup = 20
	lat := map[string][]time.Duration{}
	for i := 0; i < warmup+n; i++ {
		for _, ns := range []string{nsLatencyOff, nsLatencyOn} {
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
	}
	off, on := lat[nsLatencyOff], lat[nsLatencyOn]
	sort.Slice(off, func(i, j int) bool { return off[i] < off[j] })
	sort.Slice(on, func(i, j int) bool { return on[i] < on[j] })
	p50off, p99off := percentile(off, 50), percentile(off, 99)
	p50on, p99on := percentile(on, 50), percentile(on, 99)
	report := fmt.Sprintf("pod create latency, %d pods each (after %d warm-up), same apiserver:\n"+
		"  without webhook : p50 %s  p99 %s\n"+
		"  with podtune    : p50 %s  p99 %s\n"+
		"  podtune adds    : p50 %+.2fms  p99 %+.2fms",
		n, warmup, ms(p50off), ms(p99off), ms(p50on), ms(p99on),
		float64((p50on-p50off).Microseconds())/1000, float64((p99on-p99off).Microseconds())/1000)
	fmt.Println("e2e: " + report)
	_ = os.WriteFile(workDir+"/latency.txt", []byte(report+"\n"), 0o644)
	for _, ns := range []string{nsLatencyOff, nsLatencyOn} {
		_ = pods.Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}, metav1.ListOptions{})
	}
}
