// Net handles that outlive goro::shutdown(): destroyed afterwards they close their
// descriptors quietly, even when a fiber abandoned at shutdown was still parked in a call
// on one of them (its poll_desc slot must not name that fiber any more: the next runtime
// would ready a fiber that is gone). Each case runs in a child process: the abandoned
// fiber stays alive to the end.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <gmock/gmock.h>

#include <goro/debug.hpp>
#include <goro/net/tcp.hpp>
#include <goro/net/udp.hpp>

#include "goro_test.hpp"

namespace {

namespace net = goro::net;

// Until a fiber is parked in the poller; exits 20 with the dump if none ever is.
void until_parked_in_io() {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    auto fs = goro::list_fibers(false);
    if (std::any_of(fs.begin(), fs.end(),
                    [](auto& f) { return f.state == "parked" && f.wait_reason == "io wait"; }))
      return;
    if (std::chrono::steady_clock::now() > give_up) {
      std::fprintf(stderr, "no fiber parked in io wait:\n%s", goro::format_fibers(fs).c_str());
      std::_Exit(20);
    }
    std::this_thread::yield();
  }
}

// A connected pair, the listener, a UDP socket and one stream closed by another fiber, all
// destroyed after shutdown.
void handles_destroyed_after_shutdown() {
  goro::start({.procs = 2});
  {
    auto ln = net::listen("127.0.0.1:0");
    auto acceptor = goro::spawn([&ln] { return ln.accept(); });
    auto client = net::dial(ln.local_address().to_string());
    auto server = acceptor.join();
    auto udp = net::udp_socket::bind("127.0.0.1:0");
    auto closed = net::dial(ln.local_address().to_string());
    goro::spawn([&closed] { closed.close(); }).join();
    client.write_all("x");
    goro::shutdown();
    char b = 0;
    if (server.read(&b, 1) != 1 || b != 'x') std::_Exit(21);  // a plain thread's read still works
  }  // every handle destroyed here, the runtime down
  std::fprintf(stderr, "destroyed after shutdown\n");
  std::exit(0);
}

// A fiber parked in read on a stream is abandoned at shutdown; the stream is destroyed
// afterwards, and a new runtime's stream (maybe the same poll_desc) is closed while its own
// reader waits.
void stream_destroyed_after_shutdown_with_a_read_abandoned() {
  goro::start({.procs = 1});
  auto ln = std::make_unique<net::listener>(net::listen("127.0.0.1:0"));
  auto acceptor = goro::spawn([l = ln.get()] { return l->accept(); });
  auto client = std::make_unique<net::stream>(net::dial(ln->local_address().to_string()));
  auto server = std::make_unique<net::stream>(acceptor.join());
  goro::go([s = server.get()] {
    char b;
    s->read(&b, 1);  // never returns: abandoned at shutdown
  });
  until_parked_in_io();
  goro::shutdown();
  server.reset();  // its close must not ready the abandoned fiber
  client.reset();
  ln.reset();
  goro::start({.procs = 1});
  {
    auto ln2 = net::listen("127.0.0.1:0");
    auto acceptor2 = goro::spawn([&ln2] { return ln2.accept(); });
    auto c2 = net::dial(ln2.local_address().to_string());
    auto s2 = acceptor2.join();
    auto reader = goro::spawn([&s2] {
      char b;
      try {
        s2.read(&b, 1);
      } catch (const std::system_error& e) {
        return std::string(e.what());
      }
      return std::string("read returned");
    });
    until_parked_in_io();
    s2.close();
    std::fprintf(stderr, "second runtime's reader: %s\n", reader.join().c_str());
  }
  goro::shutdown();
  std::exit(0);
}

TEST(NetShutdownLifetimeDeathTest, HandlesDestroyedAfterShutdownCloseQuietly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(handles_destroyed_after_shutdown(), ::testing::ExitedWithCode(0),
              "destroyed after shutdown");
}

TEST(NetShutdownLifetimeDeathTest, StreamDestroyedAfterShutdownDoesNotWakeTheAbandonedReader) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(stream_destroyed_after_shutdown_with_a_read_abandoned(), ::testing::ExitedWithCode(0),
              "second runtime's reader: .*use of closed stream");
}

}  // namespace
