// goro::net TCP: listen, accept, dial and a stream with blocking-style calls that park the
// calling fiber on the network poller (a plain thread blocks in poll(2)) instead of
// blocking its thread, so that one fiber per connection scales to many thousands of
// connections on a few threads (Go's net.Listen, net.Dial, net.Conn).
// Deadlines (Go's SetDeadline) end a read or write that is blocked, or would block, with
// goro::net::timeout_error once they pass; they also apply to a call already blocked when
// they are set. close() from another fiber ends that fiber's blocked read or write with an
// error ("use of closed stream"). Errors are std::system_errors whose text names the
// operation and the peer: "goro::net: read 127.0.0.1:40112: Connection reset by peer".
// Each blocking call also takes a std::stop_token (goro::context::stop_token() gives one):
// once a stop is requested, the call ends with goro::net::canceled_error, whether it was
// blocked or about to block; the stream stays usable. (A plain thread notices the stop
// within 10 ms; a fiber at once.)
// accept() survives running out of descriptors (EMFILE/ENFILE): it backs off (5 ms
// doubling to 1 s), says so once on stderr, and goes on when descriptors are free again.
// Lifetimes: a stream, listener or udp_socket may be closed or destroyed by any fiber or
// thread while other fibers' calls are in flight on it, and destroyed after
// goro::shutdown(). The calls in flight end with "use of closed stream" (listener, socket);
// the descriptor is closed when the last of {the handle, the calls in flight} lets go (Go's
// Close). A call whose fiber was abandoned at shutdown never lets go: its descriptor stays
// open. Starting a call on a handle that is being destroyed is a data race, as for any
// object.
//
//   auto ln = std::make_shared<goro::net::listener>(goro::net::listen("127.0.0.1:0"));
//   auto server = goro::spawn([ln] {  // shares the listener: no reference to a local
//     try {
//       for (;;) {
//         auto s = std::make_shared<goro::net::stream>(ln->accept());
//         goro::go([s] {
//           char b[512];
//           try {
//             while (auto n = s->read(b, sizeof b)) s->write_all(b, n);
//           } catch (const std::system_error&) {}  // reset by the peer
//         });
//       }
//     } catch (const std::system_error&) {}  // closed: "use of closed listener"
//   });
//   auto c = goro::net::dial(ln->local_address().to_string(), 1s);
//   c.write_all("ping");
//   char got[4];
//   c.read_full(got, sizeof got);  // "ping", echoed
//   ln->close();                   // the blocked accept() throws: the server fiber ends
//   server.join();
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <goro/net/address.hpp>
#include <goro/net/fd_handle.hpp>

namespace goro::detail {
struct net_fd;
}

namespace goro::net {

using time_point = std::chrono::steady_clock::time_point;
inline constexpr time_point no_deadline = time_point::max();

// A deadline passed: code() is std::errc::timed_out, what() reads as Go's
// ("goro::net: read 127.0.0.1:8080: i/o timeout").
class timeout_error : public std::system_error {
 public:
  explicit timeout_error(const std::string& context)
      : std::system_error(std::make_error_code(std::errc::timed_out), context),
        text_(context + ": i/o timeout") {}
  const char* what() const noexcept override { return text_.what(); }

 private:
  std::runtime_error text_;  // copying it cannot throw
};

// A stop was requested on the call's std::stop_token: code() is std::errc::operation_canceled,
// what() "goro::net: read 127.0.0.1:8080: operation canceled".
class canceled_error : public std::system_error {
 public:
  explicit canceled_error(const std::string& context)
      : std::system_error(std::make_error_code(std::errc::operation_canceled), context),
        text_(context + ": operation canceled") {}
  const char* what() const noexcept override { return text_.what(); }

 private:
  std::runtime_error text_;
};

// A connected TCP stream. Move-only; closes itself when destroyed. One fiber may read while
// another writes; two concurrent readers (or writers) are a fatal error.
class stream : private detail::fd_handle {
 public:
  stream() noexcept = default;
  explicit stream(detail::net_fd* fd) noexcept : fd_handle(fd) {}
  stream(stream&&) noexcept = default;
  stream& operator=(stream&&) noexcept = default;

  // Up to n bytes; 0 at end of stream. A scheduling point when it waits.
  std::size_t read(void* buf, std::size_t n, std::stop_token st = {});
  // Exactly n bytes; throws std::system_error (std::errc::io_error, "unexpected end of
  // stream") if the stream ends first.
  void read_full(void* buf, std::size_t n, std::stop_token st = {});
  // All n bytes (several writes if the kernel takes fewer).
  void write_all(const void* buf, std::size_t n, std::stop_token st = {});
  void write_all(std::string_view s, std::stop_token st = {}) {
    write_all(s.data(), s.size(), std::move(st));
  }
  // Half-close: no more writes (the peer reads end of stream); reads go on.
  void shutdown_write();
  // Closes the stream; blocked calls on it end with an error. Idempotent. Any fiber or
  // thread, concurrently with calls on it.
  using fd_handle::close;

  void set_deadline(time_point t) noexcept;       // read and write
  void set_read_deadline(time_point t) noexcept;  // no_deadline: none
  void set_write_deadline(time_point t) noexcept;
  void set_no_delay(bool on);  // TCP_NODELAY (on by default, as Go)

  address local_address() const;
  address remote_address() const;
  int native_handle() const noexcept;
  using fd_handle::operator bool;
};

// A listening TCP socket.
class listener : private detail::fd_handle {
 public:
  listener() noexcept = default;
  explicit listener(detail::net_fd* fd) noexcept : fd_handle(fd) {}
  listener(listener&&) noexcept = default;
  listener& operator=(listener&&) noexcept = default;

  // The next connection. A scheduling point when it waits. After close(): throws.
  stream accept(std::stop_token st = {});
  using fd_handle::close;
  void set_deadline(time_point t) noexcept;  // for accept()
  address local_address() const;
  using fd_handle::operator bool;
};

// Listens on "host:port" (numeric host, or empty for every address; port 0 picks one).
listener listen(std::string_view host_port, int backlog = 4096);
// Connects to "host:port" (a name is resolved first), giving up after `timeout`.
stream dial(std::string_view host_port,
            std::chrono::nanoseconds timeout = std::chrono::nanoseconds::max());

}  // namespace goro::net
