// UDP on the network poller: datagrams between fibers and a thread, a receive that parks
// until a datagram comes, a read deadline, close while blocked.
#include <string>

#include <gmock/gmock.h>

#include <goro/net/udp.hpp>

#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
namespace net = goro::net;

class UdpTest : public goro_test::RuntimeTest {};

TEST_P(UdpTest, DatagramsBetweenFibersAndAThread) {
  auto server = net::udp_socket::bind("127.0.0.1:0");
  const auto server_addr = server.local_address();
  constexpr int n = 200;
  // The server fiber parks in receive_from until each datagram arrives and answers it.
  auto echo = goro::spawn([&] {
    char buf[256];
    for (int i = 0; i < n + 1; ++i) {
      auto [size, from] = server.receive_from(buf, sizeof buf);
      server.send_to(buf, size, from);
    }
  });
  goro::wait_group wg;
  std::atomic<int> ok{0};
  for (int c = 0; c < 4; ++c) {
    wg.add(1);
    goro::go([&, c] {
      auto sock = net::udp_socket::bind("127.0.0.1:0");
      for (int i = c; i < n; i += 4) {
        const std::string msg = "datagram " + std::to_string(i);
        sock.send_to(msg.data(), msg.size(), server_addr);
        char buf[256];
        auto [size, from] = sock.receive_from(buf, sizeof buf);  // loopback does not drop
        if (std::string(buf, size) == msg && from.port() == server_addr.port()) ok.fetch_add(1);
      }
      wg.done();
    });
  }
  wg.wait();
  auto sock = net::udp_socket::bind("127.0.0.1:0");  // and one from the test thread
  sock.send_to("thread", 6, server_addr);
  char buf[16];
  auto got = sock.receive_from(buf, sizeof buf);
  echo.join();
  EXPECT_EQ(ok.load(), n);
  EXPECT_EQ(std::string(buf, got.size), "thread");
}

TEST_P(UdpTest, ReadDeadlineAndCloseEndABlockedReceive) {
  auto sock = net::udp_socket::bind("127.0.0.1:0");
  sock.set_read_deadline(std::chrono::steady_clock::now() + 5ms);
  char buf[8];
  EXPECT_THROW(sock.receive_from(buf, sizeof buf), net::timeout_error);
  sock.set_read_deadline(net::no_deadline);
  auto receiver = goro::spawn([&] {
    try {
      sock.receive_from(buf, sizeof buf);
      return std::string("received");
    } catch (const std::system_error& e) {
      return std::string(e.what());
    }
  });
  goro_test::wait_until("the receiver blocked", goro_test::parked(receiver.id(), "io wait"));
  sock.close();
  EXPECT_THAT(goro_test::bounded("the receive ended", [&] { return receiver.join(); }),
              ::testing::HasSubstr("use of closed socket"));
}

GORO_INSTANTIATE(UdpTest, 1, 2, 4);

}  // namespace
