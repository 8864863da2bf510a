// echo (std::thread server peer): a TCP echo server on 127.0.0.1 (an ephemeral port, printed
// as `port=<port>` for the runner), a std::thread per connection over blocking sockets
// (TCP_NODELAY, as Go and goro set it), each reading up to 4096 bytes with read(2) and
// writing them back with write(2) until the client closes. An acceptor thread accepts; the
// main thread blocks until its stdin ends (the runner closes it after the load), then shuts
// the listening socket down (ending accept), and joins every thread. The runner pins it to
// core 0 and drives it with perf/clients/echo_client.cpp on core 1 (64 connections × 64-byte
// round trips), which prints the metrics. --procs is accepted and ignored.
// --help: threads_echo [--n N] [--procs P]   (N, the client's connections, is not used)
#include <cerrno>
#include <cstddef>

#include <unistd.h>

#include "bench.hpp"
#include "tcp_server.hpp"

int main(int argc, char** argv) {
  perf::parse_or_exit(argc, argv, 64);
  perf::thread_server server([](int fd) {
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the client closed (or reset)
      if (!perf::write_all(fd, buf, static_cast<std::size_t>(n))) return;
    }
  });
  perf::announce_port(server.port());
  perf::wait_for_stdin_eof();
  server.stop();
}
