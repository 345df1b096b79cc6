//go:build !unix

package enrich

import "time"

// cpuTime is unknown here: the benchmarks report no MB/cpu-s.
func cpuTime() time.Duration { return 0 }
