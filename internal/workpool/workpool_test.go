package workpool

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestRunCallsEachIndexOnceWithinTheBound(t *testing.T) {
	for _, tc := range []struct{ n, workers int }{{0, 4}, {1, 4}, {10, 1}, {100, 3}, {5, 50}} {
		var mu sync.Mutex
		seen := make(map[int]int)
		var running, peak atomic.Int32
		Run(tc.n, tc.workers, func(i int) {
			cur := running.Add(1)
			for {
				p := peak.Load()
				if cur <= p || peak.CompareAndSwap(p, cur) {
					break
				}
			}
			mu.Lock()
			seen[i]++
			mu.Unlock()
			running.Add(-1)
		})
		if len(seen) != tc.n {
			t.Errorf("n=%d workers=%d: %d distinct indexes called", tc.n, tc.workers, len(seen))
		}
		for i, c := range seen {
			if c != 1 || i < 0 || i >= tc.n {
				t.Errorf("n=%d: index %d called %d times", tc.n, i, c)
			}
		}
		if int(peak.Load()) > max(1, tc.workers) {
			t.Errorf("n=%d workers=%d: %d calls ran at once", tc.n, tc.workers, peak.Load())
		}
	}
}

func TestRunOneWorkerKeepsOrder(t *testing.T) {
	var order []int
	Run(5, 1, func(i int) { order = append(order, i) })
	for i, v := range order {
		if v != i {
			t.Fatalf("order %v", order)
		}
	}
}
