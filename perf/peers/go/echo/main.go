// echo (Go server peer): a TCP echo server on 127.0.0.1 (an ephemeral port, printed as
// `port=<port>` for the runner), one goroutine per connection, each reading up to 4096 bytes
// with conn.Read and writing them back with conn.Write until the client closes (not io.Copy,
// which splices between two TCP connections on Linux). The process exits when its stdin
// ends (the runner closes it after the load). The runner pins it to core 0 with
// GOMAXPROCS=1 and drives it with perf/clients/echo_client.cpp on core 1 (64 connections ×
// 64-byte round trips), which prints the metrics.
// Usage: echo [--n N (the client's connections, not used)] [--procs P (GOMAXPROCS)]
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
)

func main() {
	flag.Int("n", 64, "the client's connections (not used)")
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
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}(c)
		}
	}()
	fmt.Printf("port=%d\n", ln.Addr().(*net.TCPAddr).Port)
	io.Copy(io.Discard, os.Stdin) // until the runner closes our stdin
	ln.Close()
}
