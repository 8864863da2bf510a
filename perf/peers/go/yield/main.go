// yield (Go peer): two goroutines each call runtime.Gosched() N times. Measures yield
// (ns/yield: wall time from the first `go` until both are done, divided by 2N).
// Usage: yield [--n N=1000000] [--procs P (GOMAXPROCS)]
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
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
	t0 := time.Now()
	for g := 0; g < 2; g++ {
		go func() {
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
