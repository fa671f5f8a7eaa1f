package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// pct returns the q-th quantile (0..1) of ds.
func pct(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1)+0.5)]
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// histogram prints how many senders had each number of calls.
func histogram(h map[int]int) string {
	keys := make([]int, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d call(s): %d senders", k, h[k])
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// depthSeries prints the maximum depth and about twenty samples.
func depthSeries(samples []sample) string {
	if len(samples) == 0 {
		return "(no samples)"
	}
	peak := 0
	for _, s := range samples {
		peak = max(peak, s.depth)
	}
	step := max(1, len(samples)/20)
	var b strings.Builder
	fmt.Fprintf(&b, "max %d; ", peak)
	for i := 0; i < len(samples); i += step {
		fmt.Fprintf(&b, "%.0fs:%d ", samples[i].at.Seconds(), samples[i].depth)
	}
	return strings.TrimSpace(b.String())
}
