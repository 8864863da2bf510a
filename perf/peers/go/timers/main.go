// timers (Go peer): N goroutines (1M) each sleep a pseudo-random 0-100 ms (task k:
// splitmix64(k) mod 100,001 us, as goro's program). main spawns them all as fast as it can
// and waits for them on a WaitGroup. Each takes deadline = now + d, calls time.Sleep(d), and
// on waking records its lateness = now - deadline (never negative: a task woken early is a
// wrong result). Measures lateness_p50 and lateness_p99 (ms: nearest-rank percentiles over
// the N tasks) and cpu (CPU-s: the process's user + system CPU time at the end, getrusage,
// from the start of the process).
// Usage: timers [--n N=1000000] [--procs P (GOMAXPROCS)]
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"
)

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// percentile: nearest rank (the ceil(p/100 × n)-th smallest) of sorted v.
func percentile(v []int64, p float64) int64 {
	rank := int(math.Ceil(p / 100 * float64(len(v))))
	if rank < 1 {
		rank = 1
	}
	return v[rank-1]
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	sec := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return sec(ru.Utime) + sec(ru.Stime)
}

func main() {
	n := flag.Int("n", 1000000, "tasks")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: the environment's)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	late := make([]int64, *n) // ns, per task
	var done sync.WaitGroup
	done.Add(*n)
	for k := 0; k < *n; k++ {
		go func(k int) {
			d := time.Duration(splitmix64(uint64(k))%100001) * time.Microsecond
			deadline := time.Now().Add(d)
			time.Sleep(d)
			late[k] = int64(time.Since(deadline))
			done.Done()
		}(k)
	}
	done.Wait()
	cpu := cpuSeconds()
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	if late[0] < 0 {
		fmt.Fprintln(os.Stderr, "wrong result: a task woke before its deadline")
		os.Exit(1)
	}
	fmt.Printf("metric=lateness_p50 value=%.6g unit=ms\n", float64(percentile(late, 50))/1e6)
	fmt.Printf("metric=lateness_p99 value=%.6g unit=ms\n", float64(percentile(late, 99))/1e6)
	fmt.Printf("metric=cpu value=%.6g unit=CPU-s\n", cpu)
}
