// mutex (Go peer): 1000 goroutines contend for one sync.Mutex. Worker k of W = 1000 does its
// share of the N lock/unlock pairs (N/W, the first N mod W one more); each iteration first
// does a little work of its own outside the lock (one xorshift64 step on a local state,
// whose low byte it adds to a local sum), then locks, increments the shared counter and adds
// the same byte to a shared sum, and unlocks. The goroutines are started and parked on a
// gate channel (each counts itself on `parked` just before blocking) before the clock
// starts, so no `go` is timed. A counter other than N, or a shared sum other than the
// workers' local sums, is a wrong result. Measures lock (ns/lock: wall time from closing the
// gate until the last one is done, divided by N).
// Usage: mutex [--n N=1000000] [--procs P (GOMAXPROCS)]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

const workers = 1000

func main() {
	n := flag.Int64("n", 1000000, "lock/unlock pairs in all")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: the environment's)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	var mu sync.Mutex
	var counter int64 // guarded by mu
	var sum uint64    // guarded by mu
	gate := make(chan struct{})
	var parked, finished sync.WaitGroup
	parked.Add(workers)
	finished.Add(workers)
	locals := make([]uint64, workers)
	for k := 0; k < workers; k++ {
		iters := *n / workers
		if int64(k) < *n%workers {
			iters++
		}
		go func(k int, iters int64) {
			parked.Done()
			<-gate
			x, local := uint64(0x9e3779b97f4a7c15)+uint64(k), uint64(0)
			for i := int64(0); i < iters; i++ {
				x ^= x << 13 // outside the lock: one xorshift64 step
				x ^= x >> 7
				x ^= x << 17
				local += x & 0xff
				mu.Lock()
				counter++
				sum += x & 0xff
				mu.Unlock()
			}
			locals[k] = local
			finished.Done()
		}(k, iters)
	}
	parked.Wait()
	t0 := time.Now()
	close(gate)
	finished.Wait()
	t1 := time.Now()
	var expected uint64
	for _, l := range locals {
		expected += l
	}
	if counter != *n || sum != expected {
		fmt.Fprintln(os.Stderr, "wrong result: counter != N or shared sum != the workers' local sums")
		os.Exit(1)
	}
	fmt.Printf("metric=lock value=%.6g unit=ns/lock\n", float64(t1.Sub(t0).Nanoseconds())/float64(*n))
}
