// skynet (Go peer): a 10-ary tree of N leaf goroutines; each leaf sends its number, and each
// parent sends the sum of its 10 children's numbers, over an unbuffered channel (the classic
// skynet). Measures the wall time from spawning the root to receiving the root's sum
// (metric total, ms) and the peak RSS growth per leaf (metric rss_peak, B/task).
// Usage: skynet [--n N=1000000 (a power of ten)] [--procs P (GOMAXPROCS)]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func skynet(c chan int64, num, size int64) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int64)
	for i := int64(0); i < 10; i++ {
		go skynet(rc, num+i*(size/10), size/10)
	}
	var sum int64
	for i := 0; i < 10; i++ {
		sum += <-rc
	}
	c <- sum
}

// procStatus returns a field of /proc/self/status in bytes (VmRSS, VmHWM).
func procStatus(field string) int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line[len(field)+1:])
			kib, _ := strconv.ParseInt(f[0], 10, 64)
			return kib * 1024
		}
	}
	return 0
}

func main() {
	n := flag.Int64("n", 1000000, "leaves (a power of ten)")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: the environment's)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	p := int64(1)
	for p < *n {
		p *= 10
	}
	if *n < 1 || p != *n {
		fmt.Fprintln(os.Stderr, "--n must be a power of ten")
		os.Exit(2)
	}
	rss0 := procStatus("VmRSS")
	t0 := time.Now()
	c := make(chan int64)
	go skynet(c, 0, *n)
	sum := <-c
	t1 := time.Now()
	if sum != *n*(*n-1)/2 {
		fmt.Fprintln(os.Stderr, "wrong result: skynet sum != N*(N-1)/2")
		os.Exit(1)
	}
	fmt.Printf("metric=total value=%.6g unit=ms\n", float64(t1.Sub(t0).Nanoseconds())/1e6)
	fmt.Printf("metric=rss_peak value=%.6g unit=B/task\n", float64(procStatus("VmHWM")-rss0)/float64(*n))
}
