package enrich

import (
	"reflect"
	"sync"
	"testing"
)

// TestTagConcurrentPooled tags the dev set from several goroutines at
// once, in different orders, and checks every result against tagging the
// same article alone: per-call state is pooled, so one article's state
// must never leak into another's tags.
func TestTagConcurrentPooled(t *testing.T) {
	tg := newTagger(t)
	dev := loadDev(t)
	want := make([]any, len(dev))
	for i := range dev {
		want[i] = tg.Tag(&dev[i].Article)
	}
	var wg sync.WaitGroup
	errs := make(chan int, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < 2; r++ {
				for i := range dev {
					k := (i*7 + g*13 + r) % len(dev)
					if got := tg.Tag(&dev[k].Article); !reflect.DeepEqual(got, want[k]) {
						errs <- k
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for k := range errs {
		t.Errorf("article %d: tags differ when tagged concurrently", k)
	}
}
