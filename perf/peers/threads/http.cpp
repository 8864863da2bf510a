// http (std::thread server peer): a minimal HTTP/1.1 server, a std::thread per connection
// over blocking sockets (tcp_server.hpp), on 127.0.0.1 (an ephemeral port, printed as
// `port=<port>` for the runner). It parses nothing: it reads into a buffer and, for each
// request head (up to "\r\n\r\n"; wrk's GETs have no body) answers a fixed 200 "hello,
// world" (Content-Type: text/plain; charset=utf-8, Content-Length: 12), one write per read
// that completed requests, keeping the connection open until the client closes it. The main
// thread blocks until its stdin ends (the runner closes it after the load), then stops the
// server. The runner pins it to core 0 and loads it with `wrk -t1 -c64 --latency` on core 1;
// the metrics are wrk's. --procs is accepted and ignored.
// --help: threads_http [--n N] [--procs P]   (N, wrk's connections, is not used)
#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>

#include <unistd.h>

#include "bench.hpp"
#include "tcp_server.hpp"

int main(int argc, char** argv) {
  perf::parse_or_exit(argc, argv, 64);
  perf::thread_server server([](int fd) {
    constexpr std::string_view response =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 12\r\n\r\nhello, world";
    std::string in, out;
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the client closed (or reset)
      in.append(buf, static_cast<std::size_t>(n));
      std::size_t start = 0, end;
      while ((end = in.find("\r\n\r\n", start)) != std::string::npos) {
        out += response;
        start = end + 4;
      }
      in.erase(0, start);
      if (in.size() > 64 * 1024) return;  // not a request head we can serve
      if (!out.empty()) {
        if (!perf::write_all(fd, out.data(), out.size())) return;
        out.clear();
      }
    }
  });
  perf::announce_port(server.port());
  perf::wait_for_stdin_eof();
  server.stop();
}
