// ping-pong (Go peer): two goroutines and two unbuffered channels. The pinger sends i on
// `ping` and receives the ponger's reply (i + 1) on `pong`, for i = 0..N-1; the ponger
// replies to each value until `ping` is closed. A reply other than i + 1 is a wrong result.
// Measures round_trip (ns/round_trip: wall time from the first `go` until both are done, / N).
// Usage: ping_pong [--n N=500000] [--procs P (GOMAXPROCS)]
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
	n := flag.Int64("n", 500000, "round trips")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: the environment's)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	ping, pong := make(chan int64), make(chan int64)
	var wg sync.WaitGroup
	var wrong int64
	wg.Add(2)
	t0 := time.Now()
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		wg.Done()
	}()
	go func() {
		for i := int64(0); i < *n; i++ {
			ping <- i
			if <-pong != i+1 {
				wrong++
			}
		}
		close(ping)
		wg.Done()
	}()
	wg.Wait()
	t1 := time.Now()
	if wrong != 0 {
		fmt.Fprintln(os.Stderr, "wrong result: a reply was not the value sent + 1")
		os.Exit(1)
	}
	fmt.Printf("metric=round_trip value=%.6g unit=ns/round_trip\n", float64(t1.Sub(t0).Nanoseconds())/float64(*n))
}
