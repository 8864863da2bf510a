// idle (Go peer): N goroutines (100k) park on one gate channel (each counts itself on
// `parked` just before blocking), nothing else is runnable; main waits until all are parked,
// lets the runtime settle for 100 ms, then sleeps through the idle window (--duration-ms,
// 5000) with time.Sleep. Measures, over the window, cpu (%: the process's user + system CPU
// time, getrusage, ÷ the window's wall time: percent of one core) and wakeups (/s: context
// switches of all the process's threads, voluntary and not, from /proc/self/task/*/status,
// ÷ the window; main's own sleep and wake-up count for one or two). Then closes the gate and
// waits for all N to finish (a wrong count is a wrong result).
// Usage: idle [--n N=100000] [--procs P (GOMAXPROCS)] [--duration-ms D=5000]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	sec := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return sec(ru.Utime) + sec(ru.Stime)
}

// contextSwitches: voluntary + involuntary context switches of all the process's threads.
func contextSwitches() int64 {
	paths, _ := filepath.Glob("/proc/self/task/*/status")
	var total int64
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			for _, key := range []string{"voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"} {
				if strings.HasPrefix(line, key) {
					v, _ := strconv.ParseInt(strings.TrimSpace(line[len(key):]), 10, 64)
					total += v
				}
			}
		}
		f.Close()
	}
	return total
}

func main() {
	n := flag.Int("n", 100000, "parked tasks")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: the environment's)")
	durationMs := flag.Int("duration-ms", 5000, "idle window (ms)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	gate := make(chan struct{})
	var parked, finished sync.WaitGroup
	var ran int64
	parked.Add(*n)
	finished.Add(*n)
	for i := 0; i < *n; i++ {
		go func() {
			parked.Done()
			<-gate
			atomic.AddInt64(&ran, 1)
			finished.Done()
		}()
	}
	parked.Wait()
	time.Sleep(100 * time.Millisecond) // settle
	cs0 := contextSwitches()
	cpu0 := cpuSeconds()
	t0 := time.Now()
	time.Sleep(time.Duration(*durationMs) * time.Millisecond)
	wall := time.Since(t0).Seconds()
	cpu1 := cpuSeconds()
	cs1 := contextSwitches()
	close(gate)
	finished.Wait()
	if atomic.LoadInt64(&ran) != int64(*n) {
		fmt.Fprintln(os.Stderr, "wrong result: not every parked goroutine ran once released")
		os.Exit(1)
	}
	fmt.Printf("metric=cpu value=%.6g unit=%%\n", 100*(cpu1-cpu0)/wall)
	fmt.Printf("metric=wakeups value=%.6g unit=wakeups/s\n", float64(cs1-cs0)/wall)
}
