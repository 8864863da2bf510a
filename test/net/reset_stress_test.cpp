// A peer's reset must end a stream::read parked on it, on real loopback sockets, round after
// round: the server fiber reads a request, answers with many small messages and waits for
// the next request; the client reads part of the answer and closes with bytes unread, so
// that its kernel resets the connection. The reset's event (EPOLLIN|EPOLLRDHUP|EPOLLHUP|
// EPOLLERR, edge-triggered) is the only wake-up the parked read gets, and the retried read
// must then see ECONNRESET even when the fiber resumes on another machine than the one it
// parked on (E1 in net/sys.hpp: read as that machine's stale errno, EAGAIN, it parked again
// for good). A read left parked fails the bounded join with a dump of every fiber.
#include <array>
#include <atomic>
#include <cerrno>
#include <string>
#include <system_error>

#include <gmock/gmock.h>

#include <goro/net/tcp.hpp>

#include "goro_test.hpp"

namespace {

namespace net = goro::net;
using goro_test::RuntimeTest;

class PeerResetStressTest : public RuntimeTest {};

constexpr std::string_view request = "GET /many\n";
constexpr std::string_view message = "HTTP/1.1 102 Processing\r\n\r\n";  // 28 bytes
constexpr int messages = 50;

// How the server's read loop ended.
enum class ending { none, reset, eof, other };

TEST_P(PeerResetStressTest, AReadParkedWhenThePeerResetsWakes) {
  const std::int64_t rounds = goro_test::scaled(2000);
  auto ln = net::listen("127.0.0.1:0");
  const std::string addr = ln.local_address().to_string();
  std::int64_t resets = 0, eofs = 0;
  for (std::int64_t round = 0; round < rounds; ++round) {
    std::atomic<ending> end{ending::none};
    std::string other;
    goro::wait_group written;  // the answer is written whole before the client resets
    written.add(1);
    auto server = goro::spawn([&] {
      auto s = ln.accept();
      std::array<char, request.size()> rq{};
      s.read_full(rq.data(), rq.size());
      for (int k = 0; k < messages; ++k) s.write_all(message.data(), message.size());
      written.done();
      try {
        char buf[256];
        while (s.read(buf, sizeof buf) > 0) {
        }
        end.store(ending::eof);
      } catch (const std::system_error& e) {
        if (e.code().value() == ECONNRESET) {
          end.store(ending::reset);
        } else {
          other = e.what();
          end.store(ending::other);
        }
      }
    });
    {
      auto c = net::dial(addr);
      c.write_all(request.data(), request.size());
      std::array<char, message.size()> got{};
      c.read_full(got.data(), got.size());
      ASSERT_EQ(std::string_view(got.data(), got.size()), message);
      written.wait();  // the server heads for its read while the reset comes
    }                  // closed with up to 49 messages unread: a reset
    goro_test::bounded(
        fmt::format("round {} of {}: the server's read woke for the peer's reset", round, rounds),
        [&] { server.join(); });
    ASSERT_NE(end.load(), ending::other) << "round " << round << ": " << other;
    ASSERT_NE(end.load(), ending::none) << "round " << round;
    (end.load() == ending::reset ? resets : eofs) += 1;
  }
  // The client closes with bytes unread: the kernel answers with a reset, never a clean end
  // (eofs counts the rounds whose data all arrived before the close, should the kernel ever
  // have read it all).
  EXPECT_EQ(resets + eofs, rounds);
  EXPECT_GT(resets, 0);
}

GORO_INSTANTIATE(PeerResetStressTest, 1, 2, 4);

}  // namespace
