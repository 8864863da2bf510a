// redis (Go server peer): a Redis-compatible server written for the suite, of the same
// design as goro's (samples/redis): RESP2 on 127.0.0.1 (an ephemeral port, printed as
// `port=<port>` for the runner), a goroutine per connection, a keyspace of 16 shards each a
// map behind its own sync.Mutex. It answers what redis-benchmark asks: PING, GET, SET, INCR,
// CONFIG GET (save, appendonly; on connecting); anything else is an unknown command, as Redis
// answers it. Pipelining: a connection reads through a bufio.Reader and writes through a
// bufio.Writer flushed once the reader's buffer is empty, so the replies to the commands of
// one read go out in one write. The process exits when its stdin ends (the runner closes it
// after the load). The runner pins it to core 0 with GOMAXPROCS=1 and drives it with
// redis-benchmark on core 1, which prints the figures.
// Usage: redis [--n N (the client's connections, not used)] [--procs P (GOMAXPROCS)]
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

const shards = 16

type shard struct {
	mu sync.Mutex
	m  map[string][]byte
	_  [48]byte // a cache line each
}

var keyspace [shards]shard

func shardOf(key []byte) *shard {
	h := uint32(2166136261) // FNV-1a
	for _, c := range key {
		h = (h ^ uint32(c)) * 16777619
	}
	return &keyspace[h%shards]
}

var errProtocol = errors.New("protocol error")

// readCommand reads one command: a RESP array of bulk strings, or an inline command (words
// on a line, as redis-cli and telnet send them).
func readCommand(r *bufio.Reader) ([][]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	line = bytes.TrimRight(line, "\r\n")
	if len(line) == 0 || line[0] != '*' {
		var argv [][]byte
		for _, f := range bytes.Fields(line) {
			argv = append(argv, append([]byte(nil), f...))
		}
		return argv, nil
	}
	n, err := strconv.Atoi(string(line[1:]))
	if err != nil || n < 0 || n > 1024*1024 {
		return nil, errProtocol
	}
	argv := make([][]byte, n)
	for i := range argv {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		if len(line) < 3 || line[0] != '$' {
			return nil, errProtocol
		}
		size, err := strconv.Atoi(string(bytes.TrimRight(line[1:], "\r\n")))
		if err != nil || size < 0 || size > 512*1024*1024 {
			return nil, errProtocol
		}
		arg := make([]byte, size+2)
		if _, err := io.ReadFull(r, arg); err != nil {
			return nil, err
		}
		argv[i] = arg[:size]
	}
	return argv, nil
}

func writeBulk(w *bufio.Writer, b []byte) {
	w.WriteByte('$')
	w.WriteString(strconv.Itoa(len(b)))
	w.WriteString("\r\n")
	w.Write(b)
	w.WriteString("\r\n")
}

func wrongArgs(w *bufio.Writer, name string) {
	fmt.Fprintf(w, "-ERR wrong number of arguments for '%s' command\r\n", strings.ToLower(name))
}

func execute(w *bufio.Writer, argv [][]byte) {
	name := strings.ToUpper(string(argv[0]))
	switch name {
	case "PING":
		if len(argv) > 1 {
			writeBulk(w, argv[1])
		} else {
			w.WriteString("+PONG\r\n")
		}
	case "GET":
		if len(argv) != 2 {
			wrongArgs(w, name)
			return
		}
		s := shardOf(argv[1])
		s.mu.Lock()
		v, ok := s.m[string(argv[1])]
		s.mu.Unlock()
		if ok {
			writeBulk(w, v) // after the unlock: SET and INCR replace a value, never change it
		} else {
			w.WriteString("$-1\r\n")
		}
	case "SET":
		if len(argv) != 3 {
			wrongArgs(w, name)
			return
		}
		s := shardOf(argv[1])
		s.mu.Lock()
		s.m[string(argv[1])] = argv[2]
		s.mu.Unlock()
		w.WriteString("+OK\r\n")
	case "INCR":
		if len(argv) != 2 {
			wrongArgs(w, name)
			return
		}
		s := shardOf(argv[1])
		s.mu.Lock()
		var n int64
		var err error
		if v, ok := s.m[string(argv[1])]; ok {
			n, err = strconv.ParseInt(string(v), 10, 64)
		}
		if err == nil {
			n++
			s.m[string(argv[1])] = strconv.AppendInt(nil, n, 10)
		}
		s.mu.Unlock()
		if err != nil {
			w.WriteString("-ERR value is not an integer or out of range\r\n")
			return
		}
		w.WriteByte(':')
		w.WriteString(strconv.FormatInt(n, 10))
		w.WriteString("\r\n")
	case "CONFIG":
		if len(argv) < 3 || strings.ToUpper(string(argv[1])) != "GET" {
			w.WriteString("-ERR unknown subcommand or wrong number of arguments for 'config'\r\n")
			return
		}
		var found []string
		for _, p := range argv[2:] {
			switch strings.ToLower(string(p)) {
			case "save":
				found = append(found, "save", "")
			case "appendonly":
				found = append(found, "appendonly", "no")
			}
		}
		fmt.Fprintf(w, "*%d\r\n", len(found))
		for _, f := range found {
			writeBulk(w, []byte(f))
		}
	default:
		var args strings.Builder
		for _, a := range argv[1:] {
			fmt.Fprintf(&args, "'%s' ", a)
		}
		fmt.Fprintf(w, "-ERR unknown command '%s', with args beginning with: %s\r\n",
			argv[0], args.String())
	}
}

func serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 16*1024)
	w := bufio.NewWriterSize(c, 16*1024)
	for {
		argv, err := readCommand(r)
		if err != nil {
			if err == errProtocol {
				w.WriteString("-ERR Protocol error\r\n")
				w.Flush()
			}
			return
		}
		if len(argv) > 0 {
			execute(w, argv)
		}
		if r.Buffered() == 0 { // every command of this read answered: one write
			if w.Flush() != nil {
				return
			}
		}
	}
}

func main() {
	flag.Int("n", 50, "the client's connections (not used)")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: the environment's)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	for i := range keyspace {
		keyspace[i].m = make(map[string][]byte)
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
			go serve(c)
		}
	}()
	fmt.Printf("port=%d\n", ln.Addr().(*net.TCPAddr).Port)
	io.Copy(io.Discard, os.Stdin) // until the runner closes our stdin
	ln.Close()
}
