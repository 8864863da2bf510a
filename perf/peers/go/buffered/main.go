// buffered (Go peer): a channel of capacity 1024 carries N items (0..N-1) from producers to
// consumers, twice: 1 producer and 1 consumer (metric one_to_one), then 4 producers and 4
// consumers (metric four_to_four), each on a fresh channel. Producer k of P sends k, k + P,
// k + 2P, ... < N; the consumers receive until the channel is closed (after the last
// producer is done) and report their count and sum; a total other than N items summing to
// N(N-1)/2 is a wrong result. Each metric: ns/item, wall time from the first `go` until the
// last consumer is done, divided by N.
// Usage: buffered [--n N=2000000] [--procs P (GOMAXPROCS)]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

func run(n int64, producers, consumers int) float64 {
	c := make(chan int64, 1024)
	var ps, cs sync.WaitGroup
	counts, sums := make([]int64, consumers), make([]int64, consumers)
	ps.Add(producers)
	cs.Add(consumers)
	t0 := time.Now()
	for k := 0; k < producers; k++ {
		go func(k int64) {
			for v := k; v < n; v += int64(producers) {
				c <- v
			}
			ps.Done()
		}(int64(k))
	}
	for k := 0; k < consumers; k++ {
		go func(k int) {
			var count, sum int64
			for v := range c {
				count++
				sum += v
			}
			counts[k], sums[k] = count, sum
			cs.Done()
		}(k)
	}
	ps.Wait()
	close(c)
	cs.Wait()
	t1 := time.Now()
	var count, sum int64
	for k := range counts {
		count += counts[k]
		sum += sums[k]
	}
	if count != n || sum != n*(n-1)/2 {
		fmt.Fprintln(os.Stderr, "wrong result: items received != 0..N-1")
		os.Exit(1)
	}
	return float64(t1.Sub(t0).Nanoseconds()) / float64(n)
}

func main() {
	n := flag.Int64("n", 2000000, "items")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: the environment's)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	fmt.Printf("metric=one_to_one value=%.6g unit=ns/item\n", run(*n, 1, 1))
	fmt.Printf("metric=four_to_four value=%.6g unit=ns/item\n", run(*n, 4, 4))
}
