// test/soak/soak_server.cpp: the soak's server (test/soak/soak.sh drives it). A goro::run
// server on loopback that runs until SIGTERM or SIGINT, then shuts down gracefully, prints
// what it served and exits 0.
//
//   --mode http   goro::http::server answering every request with a short body
//   --mode echo   a goro::net listener, a fiber per connection echoing until end of stream
//
// The first line on stdout names the address ("soak_server: http on 127.0.0.1:41234").
// A plain thread waits for the signal (sigwait) and sends it to the main fiber over a channel.
// It holds no goro::active_thread, on purpose: a fiber always waits in accept(), so the
// runtime never has grounds for a deadlock verdict, and any report is a false one.
//
// --help: soak_server [--mode http|echo] [--port N=0] [--procs N=2]
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include <signal.h>

#include <fmt/core.h>

#include <goro/goro.hpp>
#include <goro/net/http.hpp>
#include <goro/net/tcp.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: soak_server [--mode http|echo] [--port N=0] [--procs N=2]\n"
    "  --mode M   http: an HTTP server answering a short body; echo: a TCP echo server\n"
    "  --port N   port on 127.0.0.1 (0: any free port, named on the first line)\n"
    "  --procs N  goro processors\n";

// Serves HTTP on `ln` until a signal arrives on `stop`.
void serve_http(goro::net::listener& ln, goro::chan<int>& stop) {
  goro::http::server srv([](const goro::http::request&, goro::http::response& rs) {
    rs.set_header("Content-Type", "text/plain");
    rs.body = "hello from the soak\n";
  });
  auto serving = goro::spawn({.name = "http serve"}, [&] { srv.serve(ln); });
  stop.recv();
  srv.shutdown();  // closes the listener and the idle connections, waits for the rest
  serving.join();
  fmt::print("served {} requests\n", srv.requests());
}

// The echo server's connections. Shut down as goro::http::server is: no connection
// registers once stopping is set; shutdown closes the listener and every open stream.
struct echo_server {
  goro::mutex mu;
  bool stopping = false;                              // guarded by mu
  std::set<std::shared_ptr<goro::net::stream>> open;  // guarded by mu
  goro::wait_group active;                            // connection fibers
  // Tallies, read once every connection fiber ended (after active.wait(), which orders
  // them): relaxed.
  std::atomic<std::uint64_t> connections{0}, bytes{0}, errors{0};

  void echo(const std::shared_ptr<goro::net::stream>& s) {
    char buf[4096];
    try {
      while (auto n = s->read(buf, sizeof buf)) {
        s->write_all(buf, n);
        bytes.fetch_add(n, std::memory_order_relaxed);
      }
    } catch (const std::system_error&) {  // a reset, or shutdown closing the stream
      errors.fetch_add(1, std::memory_order_relaxed);
    }
    {
      std::lock_guard g(mu);
      open.erase(s);
    }
    connections.fetch_add(1, std::memory_order_relaxed);
    active.done();  // last: shutdown may return from here on
  }

  void accept_all(goro::net::listener& ln) {
    for (;;) {
      std::shared_ptr<goro::net::stream> s;
      try {
        s = std::make_shared<goro::net::stream>(ln.accept());
      } catch (const std::system_error&) {
        std::lock_guard g(mu);
        if (stopping) return;  // shutdown closed the listener
        throw;
      }
      std::lock_guard g(mu);
      if (stopping) return;  // too late: the stream closes with s
      active.add(1);
      open.insert(s);
      goro::go({.name = "echo conn"}, [this, s] { echo(s); });
    }
  }

  void shutdown(goro::net::listener& ln) {
    {
      std::lock_guard g(mu);
      stopping = true;
      ln.close();
      for (auto& s : open) s->close();
    }
    active.wait();
  }
};

// Echoes on `ln` until a signal arrives on `stop`.
void serve_echo(goro::net::listener& ln, goro::chan<int>& stop) {
  echo_server es;
  auto accepting = goro::spawn({.name = "echo accept"}, [&] { es.accept_all(ln); });
  stop.recv();
  es.shutdown(ln);
  accepting.join();
  fmt::print("echoed {} bytes on {} connections ({} ended by an error)\n",
             es.bytes.load(std::memory_order_relaxed),
             es.connections.load(std::memory_order_relaxed),
             es.errors.load(std::memory_order_relaxed));
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "http";
  int port = 0, procs = 2;
  samples::flags("soak_server", usage)
      .choice("--mode", mode, {"http", "echo"})
      .integer("--port", port, 0, 65535)
      .integer("--procs", procs, 1, 1024)
      .parse(argc, argv);

  // Blocked here, so in every thread the runtime starts: only sigwait takes them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  return goro::run({.procs = procs}, [&] {
    auto ln = goro::net::listen(fmt::format("127.0.0.1:{}", port));
    fmt::print("soak_server: {} on {}\n", mode, ln.local_address().to_string());
    std::fflush(stdout);
    goro::chan<int> stop(1);
    std::thread signals([&stop_signals, stop] {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      stop.send(sig);  // buffered: never waits
    });
    if (mode == "http")
      serve_http(ln, stop);
    else
      serve_echo(ln, stop);
    goro::blocking([&] { signals.join(); });  // it has sent: ends at once
  });
}
