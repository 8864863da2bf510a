// goro::net::udp_socket: UDP datagrams on the network poller (Go's net.UDPConn). A
// receive that would block parks the fiber (a plain thread blocks in poll(2)); deadlines
// and close() end it as they do for TCP streams ("use of closed socket"), and its lifetime
// follows the same rules (tcp.hpp: destroyed while calls are in flight, or after
// goro::shutdown()). Errors are std::system_errors naming the operation and address.
//
//   auto a = goro::net::udp_socket::bind("127.0.0.1:0");
//   auto b = goro::net::udp_socket::bind("127.0.0.1:0");
//   a.send_to("ping", 4, b.local_address());
//   char buf[64];
//   auto [n, from] = b.receive_from(buf, sizeof buf);   // 4 bytes from a
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

#include <goro/net/tcp.hpp>

namespace goro::net {

class udp_socket : private detail::fd_handle {
 public:
  udp_socket() noexcept = default;
  udp_socket(udp_socket&&) noexcept = default;
  udp_socket& operator=(udp_socket&&) noexcept = default;

  // A socket bound to "host:port" (port 0 picks one).
  static udp_socket bind(std::string_view host_port);

  // Sends one datagram of n bytes to `to`.
  void send_to(const void* buf, std::size_t n, const address& to);
  struct received {
    std::size_t size;  // bytes stored (a longer datagram is truncated, as recvfrom does)
    address from;
  };
  // The next datagram. A scheduling point when it waits.
  received receive_from(void* buf, std::size_t n);

  using fd_handle::close;
  void set_read_deadline(time_point t) noexcept;
  void set_write_deadline(time_point t) noexcept;
  address local_address() const;
  using fd_handle::operator bool;

 private:
  explicit udp_socket(detail::net_fd* fd) noexcept : fd_handle(fd) {}
};

}  // namespace goro::net
