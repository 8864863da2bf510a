// yield (Go peer): two goroutines each call runtime.Gosched() N times. Measures yield
// (ns/yield: wall time from the moment both goroutines run until both are done, divided by
// 2N; the first to run yields until the second does, which reads the clock: neither
// measures a yield alone, as in the C++ programs' perf::pair_start).
// Usage: yield [--n N=1000000] [--procs P (GOMAXPROCS)]
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	n := flag.Int("n", 1000000, "yields per goroutine")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: the environment's)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	var arrived int32
	var t0 time.Time // written by the second to arrive; read after wg.Wait (ordered by it)
	for g := 0; g < 2; g++ {
		go func() {
			if atomic.AddInt32(&arrived, 1) == 2 {
				t0 = time.Now()
			} else {
				for atomic.LoadInt32(&arrived) < 2 {
					runtime.Gosched()
				}
			}
			for i := 0; i < *n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	t1 := time.Now()
	fmt.Printf("metric=yield value=%.6g unit=ns/yield\n", float64(t1.Sub(t0).Nanoseconds())/float64(2**n))
}
