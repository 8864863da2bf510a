// goro::net::address: an IPv4 or IPv6 socket address (Go's netip.AddrPort / TCPAddr).
// parse() takes numeric forms only ("127.0.0.1:8080", "[::1]:8080", ":8080" for any
// address); resolve() also looks names up (getaddrinfo, run through goro::blocking so
// that a slow DNS answer does not stall a processor). Errors are std::system_errors naming
// the text: "goro::net: address "x:y": invalid port".
//
//   auto a = goro::net::address::parse("127.0.0.1:8080");
//   fmt::print("{} port {}\n", a.to_string(), a.port());
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace goro::net {

class address {
 public:
  address() = default;
  static address parse(std::string_view host_port);
  static address resolve(std::string_view host_port);
  static address from(const sockaddr* sa, socklen_t len);

  int family() const noexcept { return ss_.ss_family; }
  std::uint16_t port() const noexcept;
  std::string to_string() const;  // "127.0.0.1:8080", "[::1]:8080"
  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&ss_); }
  socklen_t size() const noexcept { return len_; }
  explicit operator bool() const noexcept { return len_ != 0; }

 private:
  sockaddr_storage ss_{};
  socklen_t len_ = 0;
};

}  // namespace goro::net
