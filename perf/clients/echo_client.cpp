// echo_client: the echo workload's load client, the same for every server (goro, Go,
// threads). One thread, epoll: it connects N sockets (--n, 64) to 127.0.0.1:--port
// (TCP_NODELAY, non-blocking once connected) and keeps one 64-byte message in flight on
// each: when a connection's whole echo is back, it checks it is byte for byte what was sent
// (a connection number and a sequence number, then filler) and sends the next. The clock
// starts once every connection has completed one round trip (connecting and the server's
// first accepts are not timed) and stops at the first epoll wake-up after --duration-ms
// (5000). Measures round_trips (round_trips/s: the round trips completed ÷ that time). A
// wrong echo, a closed or reset connection, or no progress for 5 s is a failure (exit 1).
// The runner pins it to core 1, the server to core 0.
// --help: echo_client --port P [--n N=64] [--duration-ms D=5000]
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.hpp"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

namespace {

constexpr std::size_t message_size = 64;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "echo_client: %s: %s\n", what, errno ? std::strerror(errno) : "");
  std::exit(1);
}

struct conn {
  int fd = -1;
  std::uint32_t id = 0;
  std::uint64_t seq = 0;
  char sent[message_size];
  char got[message_size];
  std::size_t have = 0;  // bytes of the echo received so far

  void send_next() {
    ++seq;
    std::memset(sent, 'a' + static_cast<int>(seq % 26), sizeof sent);
    std::memcpy(sent, &id, sizeof id);
    std::memcpy(sent + sizeof id, &seq, sizeof seq);
    have = 0;
    ssize_t w = write(fd, sent, sizeof sent);  // fits: nothing else is in flight
    if (w != static_cast<ssize_t>(sizeof sent)) fail("write (short or failed)");
  }

  // Reads what is there; true when the whole echo is back (and checked).
  bool on_readable() {
    for (;;) {
      ssize_t r = read(fd, got + have, sizeof got - have);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && errno == EAGAIN) return false;
      if (r == 0) {
        errno = 0;
        fail("the server closed a connection");
      }
      if (r < 0) fail("read");
      have += static_cast<std::size_t>(r);
      if (have < sizeof got) continue;
      if (std::memcmp(got, sent, sizeof got) != 0) {
        std::fprintf(stderr, "wrong result: an echo differs from the message sent\n");
        std::exit(1);
      }
      return true;
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  auto args = perf::parse_or_exit(argc, argv, 64, 5'000);
  if (args.port <= 0) {
    std::fprintf(stderr, "echo_client: --port is required\n");
    return 2;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<conn> conns(args.n);
  for (std::int64_t i = 0; i < args.n; ++i) {
    conn& c = conns[i];
    c.id = static_cast<std::uint32_t>(i);
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(args.port));
    if (c.fd < 0 || connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail("connect");
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &c;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) != 0) fail("epoll_ctl");
  }
  std::vector<epoll_event> events(args.n);
  // Runs until `until` (or, with warm_up, until every connection completed a round trip);
  // returns the round trips completed.
  auto drive = [&](perf::clock::time_point until, bool warm_up) {
    std::int64_t done = 0, warmed = 0;
    auto last_progress = perf::clock::now();
    for (;;) {
      int k = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
      if (k < 0 && errno != EINTR) fail("epoll_wait");
      auto now = perf::clock::now();
      for (int i = 0; i < k; ++i) {
        conn& c = *static_cast<conn*>(events[i].data.ptr);
        if (!c.on_readable()) continue;
        ++done;
        if (warm_up && c.seq == 1) ++warmed;
        c.send_next();
      }
      if (k > 0) last_progress = now;
      if (warm_up ? warmed == args.n : now >= until) return std::make_pair(done, now);
      if (now - last_progress > std::chrono::seconds(5)) {
        errno = 0;
        fail("no echo for 5 s");
      }
    }
  };
  for (auto& c : conns) c.send_next();
  auto [warm, t0] = drive({}, true);
  auto [done, t1] = drive(t0 + std::chrono::milliseconds(args.duration_ms), false);
  for (auto& c : conns) close(c.fd);
  perf::check(done > 0, "no round trip completed");
  perf::print_metric("round_trips", double(done) / (perf::ns_between(t0, t1) / 1e9),
                     "round_trips/s");
  (void)warm;
}
