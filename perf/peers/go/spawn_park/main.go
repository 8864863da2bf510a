// spawn-park (Go peer): spawn N goroutines that each block on one gate channel, until all
// are parked (each counts itself on `parked` just before blocking); then close the gate and
// wait for all. Measures spawn (ns/task: from the first `go` until all N are parked),
// release_join (ns/task: from closing the gate until the last one is done) and rss (B/task:
// RSS with all N parked, minus RSS before the first `go`).
// Usage: spawn_park [--n N=100000] [--procs P (GOMAXPROCS)]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rss returns the resident set size in bytes (/proc/self/statm, second field).
func rss() int64 {
	b, _ := os.ReadFile("/proc/self/statm")
	pages, _ := strconv.ParseInt(strings.Fields(string(b))[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func main() {
	n := flag.Int("n", 100000, "tasks")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: the environment's)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	gate := make(chan struct{})
	var parked, finished sync.WaitGroup
	parked.Add(*n)
	finished.Add(*n)
	rss0 := rss()
	t0 := time.Now()
	for i := 0; i < *n; i++ {
		go func() {
			parked.Done()
			<-gate
			finished.Done()
		}()
	}
	parked.Wait()
	t1 := time.Now()
	rss1 := rss()
	t2 := time.Now()
	close(gate)
	finished.Wait()
	t3 := time.Now()
	fmt.Printf("metric=spawn value=%.6g unit=ns/task\n", float64(t1.Sub(t0).Nanoseconds())/float64(*n))
	fmt.Printf("metric=release_join value=%.6g unit=ns/task\n", float64(t3.Sub(t2).Nanoseconds())/float64(*n))
	fmt.Printf("metric=rss value=%.6g unit=B/task\n", float64(rss1-rss0)/float64(*n))
}
