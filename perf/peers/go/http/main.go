// http (Go server peer): net/http answering every request with 200 "hello, world" (net/http
// adds Content-Type: text/plain; charset=utf-8, Content-Length and Date), serving a listener
// on 127.0.0.1 (an ephemeral port, printed as `port=<port>` for the runner): a goroutine per
// connection, kept alive. The process exits when its stdin ends (the runner closes it after
// the load). The runner pins it to core 0 with GOMAXPROCS=1 and loads it with
// `wrk -t1 -c64 --latency` on core 1; the metrics are wrk's.
// Usage: http [--n N (wrk's connections, not used)] [--procs P (GOMAXPROCS)]
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
)

func main() {
	flag.Int("n", 64, "wrk's connections (not used)")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: the environment's)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hello := []byte("hello, world")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(hello)
	})}
	go srv.Serve(ln)
	fmt.Printf("port=%d\n", ln.Addr().(*net.TCPAddr).Port)
	io.Copy(io.Discard, os.Stdin) // until the runner closes our stdin
	srv.Close()
}
