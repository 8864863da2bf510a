// select (Go peer): one goroutine selects over 4 unbuffered channels, each fed by its own
// producer goroutine. Producer k sends k, k + 4, k + 8, ... < N on channel k, then closes
// it; the selector runs a select over the 4 receive cases until all 4 are closed (a closed
// channel is then set to nil, so its case is never ready again) and checks that it received
// N items summing to N(N-1)/2. Measures select (ns/op: wall time from the first `go` until
// all are done, divided by the N items received).
// Usage: select [--n N=1000000] [--procs P (GOMAXPROCS)]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

func main() {
	n := flag.Int64("n", 1000000, "items")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: the environment's)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	var in [4]chan int64
	for k := range in {
		in[k] = make(chan int64)
	}
	var wg sync.WaitGroup
	var count, sum int64
	wg.Add(5)
	t0 := time.Now()
	for k := 0; k < 4; k++ {
		go func(c chan int64, k int64) {
			for v := k; v < *n; v += 4 {
				c <- v
			}
			close(c)
			wg.Done()
		}(in[k], int64(k))
	}
	go func(in [4]chan int64) {
		open := 4
		take := func(k int, v int64, ok bool) {
			if ok {
				count++
				sum += v
			} else {
				in[k] = nil // never ready again
				open--
			}
		}
		for open > 0 {
			select {
			case v, ok := <-in[0]:
				take(0, v, ok)
			case v, ok := <-in[1]:
				take(1, v, ok)
			case v, ok := <-in[2]:
				take(2, v, ok)
			case v, ok := <-in[3]:
				take(3, v, ok)
			}
		}
		wg.Done()
	}(in)
	wg.Wait()
	t1 := time.Now()
	if count != *n || sum != *n*(*n-1)/2 {
		fmt.Fprintln(os.Stderr, "wrong result: items received != 0..N-1")
		os.Exit(1)
	}
	fmt.Printf("metric=select value=%.6g unit=ns/op\n", float64(t1.Sub(t0).Nanoseconds())/float64(*n))
}
