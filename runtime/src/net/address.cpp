// goro::net::address: parsing, resolving and printing socket addresses.
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include <netdb.h>

#include <goro/blocking.hpp>
#include <goro/net/address.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace goro::net {

namespace {

[[noreturn]] void bad(std::string_view text, const char* why) {
  std::string what = "goro::net: address \"";
  what.append(text).append("\": ").append(why);
  throw std::system_error(EINVAL, std::generic_category(), what);
}

// Splits "host:port" / "[v6]:port"; validates the port.
void split(std::string_view text, std::string& host, std::uint16_t& port, std::string& port_text) {
  auto colon = text.rfind(':');
  if (colon == text.npos) bad(text, "missing port");
  std::string_view h = text.substr(0, colon), p = text.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size() || v > 65535)
    bad(text, "invalid port");
  host.assign(h);
  port = static_cast<std::uint16_t>(v);
  port_text.assign(p);
}

}  // namespace

address address::from(const sockaddr* sa, socklen_t len) {
  address a;
  if (len > sizeof a.ss_) len = sizeof a.ss_;
  std::memcpy(&a.ss_, sa, len);
  a.len_ = len;
  return a;
}

address address::parse(std::string_view text) {
  std::string host, port_text;
  std::uint16_t port = 0;
  split(text, host, port, port_text);
  address a;
  if (host.empty()) host = "0.0.0.0";
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss_);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.len_ = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.len_ = sizeof(sockaddr_in6);
  } else {
    bad(text, "not a numeric address (use address::resolve for names)");
  }
  return a;
}

address address::resolve(std::string_view text) {
  std::string host, port_text;
  std::uint16_t port = 0;
  split(text, host, port, port_text);
  try {
    return parse(text);
  } catch (const std::system_error&) {
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  // A lookup may take seconds: hand the processor to another thread meanwhile.
  int rc =
      goro::blocking([&] { return ::getaddrinfo(host.c_str(), port_text.c_str(), &hints, &res); });
  if (rc != 0 || !res) {
    std::string what = "goro::net: lookup \"";
    what.append(host).append("\": ").append(::gai_strerror(rc));
    throw std::system_error(EHOSTUNREACH, std::generic_category(), what);
  }
  address a = from(res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  return a;
}

std::uint16_t address::port() const noexcept {
  if (ss_.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss_)->sin_port);
  if (ss_.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss_)->sin6_port);
  return 0;
}

std::string address::to_string() const {
  char buf[INET6_ADDRSTRLEN + 16] = "?";
  if (ss_.ss_family == AF_INET) {
    char ip[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss_)->sin_addr, ip, sizeof ip);
    std::snprintf(buf, sizeof buf, "%s:%u", ip, unsigned{port()});
  } else if (ss_.ss_family == AF_INET6) {
    char ip[INET6_ADDRSTRLEN];
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss_)->sin6_addr, ip, sizeof ip);
    std::snprintf(buf, sizeof buf, "[%s]:%u", ip, unsigned{port()});
  }
  return buf;
}

}  // namespace goro::net
