// Net handle lifetimes: a stream, listener or UDP socket destroyed while another fiber's
// call is in flight on it (woken by close(), by a deadline, or still parked), after another
// fiber closed it, and after goro::shutdown(). The call in flight ends with its error; the
// descriptor and its poll_desc go with the last of {the handle, each call in progress}.
// Each interleaving is forced: the caller is parked in the poller ("io wait") before the
// handle goes, and at P=1 the fiber that closes and destroys runs to the end before the
// woken caller resumes. Run under ASan: before the fix these were heap-use-after-free.
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <system_error>
#include <thread>

#include <gmock/gmock.h>

#include <goro/debug.hpp>
#include <goro/net/tcp.hpp>
#include <goro/net/udp.hpp>

#include "goro_test.hpp"

namespace {

namespace net = goro::net;
using goro_test::RuntimeTest;

class NetLifetimeTest : public RuntimeTest {};

// Until the fiber named `name` is parked in the poller. Not a sleep: a bounded poll on the
// runtime's own state, failing with the fibers' dump if it never gets there.
::testing::AssertionResult parked_in_io(const std::string& name) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    auto fs = goro::list_fibers(false);
    auto it = std::find_if(fs.begin(), fs.end(), [&](auto& f) { return f.name == name; });
    if (it != fs.end() && it->state == "parked" && it->wait_reason == "io wait")
      return ::testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() > give_up)
      return ::testing::AssertionFailure() << "fiber '" << name << "' never parked in io wait:\n"
                                           << goro::format_fibers(fs);
    std::this_thread::yield();
  }
}

// The error a call ended with ("" if it returned).
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
    return "";
  } catch (const std::system_error& e) {
    return e.what();
  }
}

struct connected_pair {
  net::listener ln;
  std::unique_ptr<net::stream> client, server;
};

connected_pair connect() {
  connected_pair p{net::listen("127.0.0.1:0"), nullptr, nullptr};
  auto acceptor = goro::spawn([&p] { return p.ln.accept(); });
  p.client = std::make_unique<net::stream>(net::dial(p.ln.local_address().to_string()));
  p.server = std::make_unique<net::stream>(acceptor.join());
  return p;
}

TEST_P(NetLifetimeTest, StreamDestroyedRightAfterCloseWokeItsReadEndsTheReadWithClosed) {
  auto p = connect();
  auto reader = goro::spawn({.name = "reader"}, [s = p.server.get()] {
    char b;
    return error_of([&] { s->read(&b, 1); });
  });
  ASSERT_TRUE(parked_in_io("reader"));
  goro::spawn([&p] {  // another fiber: at P=1 it ends before the reader resumes
    p.server->close();
    p.server.reset();
  })
      .join();
  EXPECT_THAT(reader.join(), ::testing::HasSubstr("use of closed stream"));
}

TEST_P(NetLifetimeTest, StreamDestroyedRightAfterADeadlineWokeItsReadEndsTheReadWithAnError) {
  auto p = connect();
  auto reader = goro::spawn({.name = "reader"}, [s = p.server.get()] {
    char b;
    return error_of([&] { s->read(&b, 1); });
  });
  ASSERT_TRUE(parked_in_io("reader"));
  goro::spawn([&p] {
    p.server->set_read_deadline(std::chrono::steady_clock::now());  // wakes the reader
    p.server.reset();
  }).join();
  // The reader saw the deadline or the close, whichever it looked at first: an error both.
  EXPECT_THAT(reader.join(), ::testing::AnyOf(::testing::HasSubstr("i/o timeout"),
                                              ::testing::HasSubstr("use of closed stream")));
}

TEST_P(NetLifetimeTest, StreamDestroyedWhileAFiberReadsFullEndsItWithClosed) {
  auto p = connect();
  p.client->write_all("ab");  // read_full takes these and parks for the rest
  auto reader = goro::spawn({.name = "reader"}, [s = p.server.get()] {
    char b[4];
    return error_of([&] { s->read_full(b, sizeof b); });
  });
  ASSERT_TRUE(parked_in_io("reader"));
  goro::spawn([&p] { p.server.reset(); }).join();  // the destructor closes
  EXPECT_THAT(reader.join(), ::testing::HasSubstr("use of closed stream"));
}

TEST_P(NetLifetimeTest, StreamDestroyedWhileAFiberWritesEndsTheWriteWithClosed) {
  auto p = connect();  // the peer never reads: the writer fills the buffers and parks
  auto writer = goro::spawn({.name = "writer"}, [s = p.client.get()] {
    std::string chunk(1 << 20, 'w');
    return error_of([&] {
      for (;;) s->write_all(chunk);
    });
  });
  ASSERT_TRUE(parked_in_io("writer"));
  goro::spawn([&p] { p.client.reset(); }).join();
  EXPECT_THAT(writer.join(), ::testing::HasSubstr("use of closed stream"));
}

TEST_P(NetLifetimeTest, ListenerDestroyedWhileAFiberIsInAcceptEndsAcceptWithClosed) {
  auto ln = std::make_unique<net::listener>(net::listen("127.0.0.1:0"));
  auto acceptor =
      goro::spawn({.name = "acceptor"}, [l = ln.get()] { return error_of([&] { l->accept(); }); });
  ASSERT_TRUE(parked_in_io("acceptor"));
  goro::spawn([&ln] { ln.reset(); }).join();
  EXPECT_THAT(acceptor.join(), ::testing::HasSubstr("use of closed listener"));
}

TEST_P(NetLifetimeTest, ListenerDestroyedRightAfterCloseWokeItsAcceptEndsAcceptWithClosed) {
  auto ln = std::make_unique<net::listener>(net::listen("127.0.0.1:0"));
  auto acceptor =
      goro::spawn({.name = "acceptor"}, [l = ln.get()] { return error_of([&] { l->accept(); }); });
  ASSERT_TRUE(parked_in_io("acceptor"));
  goro::spawn([&ln] {
    ln->close();
    ln.reset();
  }).join();
  EXPECT_THAT(acceptor.join(), ::testing::HasSubstr("use of closed listener"));
}

TEST_P(NetLifetimeTest, UdpSocketDestroyedWhileAFiberIsInReceiveEndsItWithClosed) {
  auto sock = std::make_unique<net::udp_socket>(net::udp_socket::bind("127.0.0.1:0"));
  auto receiver = goro::spawn({.name = "receiver"}, [u = sock.get()] {
    char b[16];
    return error_of([&] { u->receive_from(b, sizeof b); });
  });
  ASSERT_TRUE(parked_in_io("receiver"));
  goro::spawn([&sock] {
    sock->close();
    sock.reset();
  }).join();
  EXPECT_THAT(receiver.join(), ::testing::HasSubstr("use of closed socket"));
}

TEST_P(NetLifetimeTest, HandlesClosedByAnotherFiberAreSafeToDestroyAndReportClosed) {
  auto p = connect();
  auto udp = net::udp_socket::bind("127.0.0.1:0");
  goro::spawn([&] {
    p.server->close();
    p.ln.close();
    udp.close();
  }).join();
  char b[4];
  EXPECT_THAT(error_of([&] { p.server->read(b, 1); }),
              ::testing::HasSubstr("use of closed stream"));
  EXPECT_THAT(error_of([&] { p.ln.accept(); }), ::testing::HasSubstr("use of closed listener"));
  EXPECT_THAT(error_of([&] { udp.receive_from(b, sizeof b); }),
              ::testing::HasSubstr("use of closed socket"));
  EXPECT_EQ(p.client->read(b, sizeof b), 0u);  // the close reached the peer: end of stream
  p.server.reset();
}

// The example atop goro/net/tcp.hpp, as written there, plus the echo read back.
TEST_P(NetLifetimeTest, TcpHeaderExampleServerEndsWhenItsListenerCloses) {
  using namespace std::chrono_literals;
  auto ln = std::make_shared<goro::net::listener>(goro::net::listen("127.0.0.1:0"));
  auto server = goro::spawn([ln] {  // shares the listener: no reference to a local
    try {
      for (;;) {
        auto s = std::make_shared<goro::net::stream>(ln->accept());
        goro::go([s] {
          char b[512];
          try {
            while (auto n = s->read(b, sizeof b)) s->write_all(b, n);
          } catch (const std::system_error&) {
          }  // reset by the peer
        });
      }
    } catch (const std::system_error&) {
    }  // closed: "use of closed listener"
  });
  auto c = goro::net::dial(ln->local_address().to_string(), 1s);
  c.write_all("ping");
  char got[4];
  c.read_full(got, sizeof got);  // "ping", echoed
  ln->close();                   // the blocked accept() throws: the server fiber ends
  server.join();
  EXPECT_EQ(std::string(got, sizeof got), "ping");
  c.shutdown_write();
  EXPECT_EQ(c.read(got, 1), 0u);  // its fiber ended: the stream closed
}

GORO_INSTANTIATE(NetLifetimeTest, 1, 2, 4);

}  // namespace
