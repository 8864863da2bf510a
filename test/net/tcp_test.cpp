// TCP over the network poller, on real loopback sockets: echo from fibers and threads,
// deadlines, resets, half-close, close while blocked, refused dials, many connections.
#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>

#include <goro/net/tcp.hpp>

#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
namespace net = goro::net;
using goro_test::RuntimeTest;

class TcpTest : public RuntimeTest {};

// Serves every connection of `ln` on its own fiber, echoing until the peer half-closes.
goro::join_handle<void> echo_server(net::listener& ln, int connections) {
  return goro::spawn([&ln, connections] {
    goro::wait_group wg;
    for (int i = 0; i < connections; ++i) {
      auto s = std::make_shared<net::stream>(ln.accept());
      wg.add(1);
      goro::go([s, &wg] {
        char buf[4096];
        while (std::size_t n = s->read(buf, sizeof buf)) s->write_all(buf, n);
        wg.done();
      });
    }
    wg.wait();
  });
}

std::string echo_once(const std::string& addr, const std::string& msg) {
  auto c = net::dial(addr, 5s);
  c.write_all(msg);
  c.shutdown_write();
  std::string got(msg.size(), '\0');
  c.read_full(got.data(), got.size());
  char extra;
  EXPECT_EQ(c.read(&extra, 1), 0u);  // the server closes after our half-close
  return got;
}

TEST_P(TcpTest, EchoFromFibersAndAThread) {
  auto ln = net::listen("127.0.0.1:0");
  const std::string addr = ln.local_address().to_string();
  constexpr int fibers = 50;
  auto server = echo_server(ln, fibers + 1);
  std::atomic<int> ok{0};
  goro::wait_group wg;
  wg.add(fibers);
  for (int i = 0; i < fibers; ++i) {
    goro::go([&, i] {
      std::string msg(1000 + i * 997, static_cast<char>('a' + i % 26));  // up to ~50 KB
      if (echo_once(addr, msg) == msg) ok.fetch_add(1);
      wg.done();
    });
  }
  std::string from_thread = echo_once(addr, "a plain thread blocks in poll(2)");  // test thread
  wg.wait();
  server.join();
  EXPECT_EQ(ok.load(), fibers);
  EXPECT_EQ(from_thread, "a plain thread blocks in poll(2)");
}

TEST_P(TcpTest, ReadDeadlineEndsABlockedReadAndAppliesToTheNextOne) {
  auto ln = net::listen("127.0.0.1:0");
  auto srv = goro::spawn([&] { return ln.accept(); });  // accepts, never writes
  auto c = net::dial(ln.local_address().to_string());
  auto peer = srv.join();
  auto reader = goro::spawn([&] {
    char b;
    try {
      c.read(&b, 1);  // no deadline yet: blocks until the one set below passes
      return std::string("read returned");
    } catch (const net::timeout_error& e) {
      return std::string(e.what());
    }
  });
  // The deadline is set while the read is blocked: the case under test.
  goro_test::wait_until("the reader blocked", goro_test::parked(reader.id(), "io wait"));
  c.set_read_deadline(std::chrono::steady_clock::now() + 10ms);
  EXPECT_THAT(goro_test::bounded("the read ended", [&] { return reader.join(); }),
              ::testing::MatchesRegex("goro::net: read 127\\.0\\.0\\.1:[0-9]+: i/o timeout"));
  char b;
  EXPECT_THROW(c.read(&b, 1), net::timeout_error);  // the deadline stays in force
  c.set_read_deadline(net::no_deadline);
  peer.write_all("x");
  EXPECT_EQ(c.read(&b, 1), 1u);
  EXPECT_EQ(b, 'x');
}

TEST_P(TcpTest, WriteDeadlineEndsAWriteTheReaderDoesNotDrain) {
  auto ln = net::listen("127.0.0.1:0");
  auto srv = goro::spawn([&] { return ln.accept(); });
  auto c = net::dial(ln.local_address().to_string());
  auto peer = srv.join();  // never reads
  c.set_write_deadline(std::chrono::steady_clock::now() + 50ms);
  std::vector<char> chunk(1 << 20, 'z');
  std::size_t written_chunks = 0;
  EXPECT_THROW(
      {
        for (;;) {
          c.write_all(chunk.data(), chunk.size());
          ++written_chunks;
        }
      },
      net::timeout_error);
  EXPECT_LT(written_chunks, 64u);  // the kernel's buffers filled up long before
}

TEST_P(TcpTest, PeerResetMidReadAndMidWrite) {
  auto ln = net::listen("127.0.0.1:0");
  const std::string addr = ln.local_address().to_string();
  for (int round = 0; round < 2; ++round) {
    auto srv = goro::spawn([&] { return ln.accept(); });
    auto c = net::dial(addr);
    {
      auto peer = srv.join();
      linger l{1, 0};  // close sends a reset
      ASSERT_EQ(::setsockopt(peer.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
      if (round == 1) c.write_all("unread data");  // unread data makes close reset too
      goro::this_fiber::yield();
    }  // peer closed: RST
    try {
      if (round == 0) {
        char b;
        c.read(&b, 1);
      } else {
        std::vector<char> chunk(1 << 16, 'w');
        for (int i = 0; i < 1000; ++i) c.write_all(chunk.data(), chunk.size());
      }
      ADD_FAILURE() << "no error after the peer's reset";
    } catch (const std::system_error& e) {
      EXPECT_TRUE(e.code().value() == ECONNRESET || e.code().value() == EPIPE) << e.what();
      EXPECT_THAT(e.what(),
                  ::testing::HasSubstr(round == 0 ? "read 127.0.0.1:" : "write 127.0.0.1:"));
    }
  }
}

TEST_P(TcpTest, HalfCloseLetsThePeerReplyAfterEndOfStream) {
  auto ln = net::listen("127.0.0.1:0");
  auto srv = goro::spawn([&] {
    auto s = ln.accept();
    std::string got;
    char buf[64];
    while (std::size_t n = s.read(buf, sizeof buf)) got.append(buf, n);  // until EOF
    s.write_all("got " + got);
  });
  auto c = net::dial(ln.local_address().to_string());
  c.write_all("question");
  c.shutdown_write();
  std::string reply;
  char buf[64];
  while (std::size_t n = c.read(buf, sizeof buf)) reply.append(buf, n);
  srv.join();
  EXPECT_EQ(reply, "got question");
}

TEST_P(TcpTest, CloseEndsAReadBlockedInAnotherFiber) {
  auto ln = net::listen("127.0.0.1:0");
  auto srv = goro::spawn([&] { return ln.accept(); });
  auto c = net::dial(ln.local_address().to_string());
  auto peer = srv.join();
  auto reader = goro::spawn([&] {
    char b;
    try {
      c.read(&b, 1);
      return std::string("read returned");
    } catch (const std::system_error& e) {
      return std::string(e.what());
    }
  });
  goro_test::wait_until("the reader blocked", goro_test::parked(reader.id(), "io wait"));
  c.close();
  EXPECT_THAT(goro_test::bounded("the read ended", [&] { return reader.join(); }),
              ::testing::HasSubstr("use of closed stream"));
  // The listener too: a blocked accept ends when it is closed.
  auto acceptor = goro::spawn([&] {
    try {
      ln.accept();
      return false;
    } catch (const std::system_error&) {
      return true;
    }
  });
  goro_test::wait_until("the acceptor blocked", goro_test::parked(acceptor.id(), "io wait"));
  ln.close();
  EXPECT_TRUE(goro_test::bounded("the accept ended", [&] { return acceptor.join(); }));
}

// A stop request ends a blocked read, write or accept with canceled_error (from a fiber or
// a plain thread); a token stopped already refuses the call at once, even with data
// waiting; the stream stays usable with another token.
TEST_P(TcpTest, StopTokenEndsABlockedCallAndTheStreamStaysUsable) {
  auto ln = net::listen("127.0.0.1:0");
  auto srv = goro::spawn([&] { return ln.accept(); });
  auto c = net::dial(ln.local_address().to_string());
  auto peer = srv.join();
  auto canceled = [](auto&& call) {
    try {
      call();
      return std::string("returned");
    } catch (const net::canceled_error& e) {
      EXPECT_EQ(e.code(), std::errc::operation_canceled);
      return std::string(e.what());
    }
  };
  {
    std::stop_source src;
    auto reader = goro::spawn([&] {
      return canceled([&] {
        char b;
        c.read(&b, 1, src.get_token());
      });
    });
    goro_test::wait_until("the reader blocked", goro_test::parked(reader.id(), "io wait"));
    src.request_stop();
    EXPECT_THAT(
        goro_test::bounded("the read ended", [&] { return reader.join(); }),
        ::testing::MatchesRegex("goro::net: read 127\\.0\\.0\\.1:[0-9]+: operation canceled"));
  }
  {
    std::stop_source src;
    std::atomic<int> tid{0};
    std::thread plain([&] {
      tid.store(static_cast<int>(::gettid()));
      EXPECT_THAT(canceled([&] {
                    char b[4];
                    c.read_full(b, sizeof b, src.get_token());
                  }),
                  ::testing::HasSubstr("operation canceled"));
    });
    goro_test::wait_until("the thread started", [&] { return tid.load() != 0; });
    goro_test::wait_until("the thread blocked in poll(2)", goro_test::thread_asleep(tid.load()));
    src.request_stop();
    goro_test::bounded("the thread's read ended", [&] { plain.join(); });
  }
  peer.write_all("x");
  std::stop_source stopped;
  stopped.request_stop();
  EXPECT_THAT(canceled([&] {
                char b;
                c.read(&b, 1, stopped.get_token());
              }),
              ::testing::HasSubstr("operation canceled"));
  char b = 0;
  std::stop_source fresh;
  EXPECT_EQ(c.read(&b, 1, fresh.get_token()), 1u);  // the byte is still there
  EXPECT_EQ(b, 'x');
  {
    std::stop_source src;  // the peer never reads: the write blocks once the buffers fill
    auto writer = goro::spawn([&] {
      return canceled([&] {
        std::vector<char> chunk(1 << 20, 'z');
        for (;;) c.write_all(chunk.data(), chunk.size(), src.get_token());
      });
    });
    goro_test::wait_until("the writer blocked", goro_test::parked(writer.id(), "io wait"));
    src.request_stop();
    EXPECT_THAT(goro_test::bounded("the write ended", [&] { return writer.join(); }),
                ::testing::HasSubstr("write 127.0.0.1:"));
  }
  {
    std::stop_source src;
    auto acceptor = goro::spawn([&] { return canceled([&] { ln.accept(src.get_token()); }); });
    goro_test::wait_until("the acceptor blocked", goro_test::parked(acceptor.id(), "io wait"));
    src.request_stop();
    EXPECT_THAT(goro_test::bounded("the accept ended", [&] { return acceptor.join(); }),
                ::testing::HasSubstr("accept 127.0.0.1:"));
  }
}

TEST_P(TcpTest, RefusedDialNamesTheAddress) {
  int port;
  {
    auto ln = net::listen("127.0.0.1:0");
    port = ln.local_address().port();
  }  // closed: nobody listens there now
  try {
    net::dial("127.0.0.1:" + std::to_string(port));
    ADD_FAILURE() << "dial succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ECONNREFUSED);
    EXPECT_THAT(e.what(),
                ::testing::StartsWith("goro::net: dial 127.0.0.1:" + std::to_string(port)));
  }
  EXPECT_THROW(net::dial("127.0.0.1:99999"), std::system_error);  // invalid port
  EXPECT_THROW(net::listen("not-an-address:1"), std::system_error);
}

TEST_P(TcpTest, ThousandConnectionsAtOnce) {
  const int n = static_cast<int>(goro_test::scaled(1000));
  auto ln = net::listen("127.0.0.1:0");
  const std::string addr = ln.local_address().to_string();
  auto server = echo_server(ln, n);
  std::vector<net::stream> clients;
  for (int i = 0; i < n; ++i) clients.push_back(net::dial(addr));  // all open together
  std::atomic<int> ok{0};
  goro::wait_group wg;
  wg.add(n);
  for (int i = 0; i < n; ++i) {
    goro::go([&, i] {
      const std::string msg = "conn " + std::to_string(i);
      clients[i].write_all(msg);
      clients[i].shutdown_write();
      std::string got(msg.size(), '\0');
      clients[i].read_full(got.data(), got.size());
      if (got == msg) ok.fetch_add(1);
      wg.done();
    });
  }
  wg.wait();
  server.join();
  EXPECT_EQ(ok.load(), n);
}

TEST_P(TcpTest, AThousandReadDeadlinesEachEndTheirRead) {
  const int n = static_cast<int>(goro_test::scaled(1000));
  auto ln = net::listen("127.0.0.1:0");
  const std::string addr = ln.local_address().to_string();
  std::vector<net::stream> held;  // the server side: accepted, never written to
  auto acceptor = goro::spawn([&] {
    for (int i = 0; i < n; ++i) held.push_back(ln.accept());
  });
  std::atomic<int> timed_out{0}, other{0};
  goro::wait_group wg;
  wg.add(n);
  for (int i = 0; i < n; ++i) {
    goro::go([&, i] {
      auto c = net::dial(addr);
      c.set_read_deadline(std::chrono::steady_clock::now() + std::chrono::milliseconds(5 + i % 20));
      char b;
      try {
        c.read(&b, 1);
        other.fetch_add(1);
      } catch (const net::timeout_error&) {
        timed_out.fetch_add(1);
      } catch (...) {
        other.fetch_add(1);
      }
      wg.done();
    });
  }
  wg.wait();
  acceptor.join();
  EXPECT_EQ(timed_out.load(), n);
  EXPECT_EQ(other.load(), 0);
}

GORO_INSTANTIATE(TcpTest, 1, 2, 4);

}  // namespace
