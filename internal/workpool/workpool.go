// Package workpool runs indexed work on a bounded number of goroutines:
// the one fan-out shared by the stages that work on a batch's records in
// parallel.
package workpool

import "sync"

// Run calls fn(i) for every i in [0, n) on at most workers goroutines
// and returns when every call has returned. With one worker (or one item)
// it runs in the caller's goroutine, in order.
func Run(n, workers int, fn func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	wg.Wait()
}
