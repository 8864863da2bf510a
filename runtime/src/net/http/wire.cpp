#include "wire.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/beast/http/status.hpp>
#include <fmt/format.h>

#include <goro/detail/futex.hpp>

namespace goro::http::detail {

namespace bhttp = boost::beast::http;

namespace {

// RFC 9110 section 5.6.2: tchar.
constexpr auto tchar_table = alnum_and("!#$%&'*+-.^_`|~");

bool is_tchar(unsigned char c) noexcept { return tchar_table[c]; }

char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// `s` for an error message: printable ASCII as is, other bytes as \xNN, at most 64 bytes.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < 64; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  if (s.size() > 64) out += "...";
  return out + "\"";
}

std::string byte_name(unsigned char c) {
  switch (c) {
    case '\r':
      return "a CR";
    case '\n':
      return "an LF";
    case '\0':
      return "a NUL";
    case ' ':
      return "a space";
    default:
      return fmt::format("byte 0x{:02x}", c);
  }
}

[[noreturn]] void invalid(std::string text) { throw invalid_message("goro::http: " + text); }

}  // namespace

void check_header_name(std::string_view name) {
  if (name.empty()) invalid("header name is empty");
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!is_tchar(static_cast<unsigned char>(name[i])))
      invalid(fmt::format("header name {} is not a token: {} at byte {}", quoted(name),
                          byte_name(static_cast<unsigned char>(name[i])), i));
}

void check_header_value(std::string_view name, std::string_view value) {
  // Go's httpguts.ValidHeaderFieldValue: no CTL but HTAB; obs-text (>= 0x80) passes. The value
  // itself stays out of the message: it may be a secret.
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      invalid(fmt::format("header {}: the value holds {} at byte {} (header injection)",
                          quoted(name), byte_name(c), i));
  }
}

void check_header(std::string_view name, std::string_view value) {
  check_header_name(name);
  check_header_value(name, value);
}

void check_method(std::string_view method) {
  if (method.empty()) invalid("request method is empty");
  for (std::size_t i = 0; i < method.size(); ++i)
    if (!is_tchar(static_cast<unsigned char>(method[i])))
      invalid(fmt::format("request method {} is not a token: {} at byte {}", quoted(method),
                          byte_name(static_cast<unsigned char>(method[i])), i));
}

void check_target(std::string_view target) {
  if (target.empty()) invalid("request target is empty (\"/\" is the root)");
  if (target != "*" && target[0] != '/' && !iequals(target.substr(0, 7), "http://"))
    invalid(
        fmt::format("request target {} is not \"/path\", \"*\" or \"http://...\"", quoted(target)));
  for (std::size_t i = 0; i < target.size(); ++i) {
    const auto c = static_cast<unsigned char>(target[i]);
    if (c <= 0x20 || c == 0x7f)
      invalid(fmt::format("request target {} holds {} at byte {} (request injection)",
                          quoted(target), byte_name(c), i));
    if (c >= 0x80)
      invalid(fmt::format("request target {} holds a non-ASCII byte at {}: percent-encode it",
                          quoted(target), i));
    if (c == '#')
      invalid(fmt::format("request target {} holds a '#': a fragment is not sent", quoted(target)));
  }
}

void check_request(const request& rq) {
  check_method(rq.method);
  check_target(rq.target);
  for (auto& h : rq.headers) check_header(h.name, h.value);
}

std::string parse_authority(std::string_view authority) {
  const std::string what = "address " + quoted(authority);
  if (authority.find('@') != std::string_view::npos)
    invalid(what + ": a userinfo part (user:password@) is not supported");
  std::string_view host, rest;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) invalid(what + ": bad host: '[' without ']'");
    host = authority.substr(0, close + 1);
    rest = authority.substr(close + 1);
    if (host.size() == 2) invalid(what + ": no host");
    for (char c : host.substr(1, host.size() - 2))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
        invalid(what + ": bad host: an IPv6 literal holds hex digits, ':' and '.'");
    if (!rest.empty() && rest[0] != ':') invalid(what + ": bad port: ':' must follow ']'");
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
    if (host.empty()) invalid(what + ": no host");
    for (std::size_t i = 0; i < host.size(); ++i) {
      const auto c = static_cast<unsigned char>(host[i]);
      if (!std::isalnum(c) && c != '-' && c != '.' && c != '_' && c != '~')
        invalid(fmt::format("{}: bad host: {} at byte {}", what, byte_name(c), i));
    }
  }
  if (rest.empty()) return std::string(host) + ":80";
  const auto port = rest.substr(1);  // after ':'
  unsigned long n = 0;
  bool ok = !port.empty() && port.size() <= 5;
  for (char c : port) {
    ok = ok && std::isdigit(static_cast<unsigned char>(c));
    n = n * 10 + static_cast<unsigned long>(c - '0');
  }
  if (!ok || n == 0 || n > 65535) invalid(what + ": bad port: want 1..65535");
  return std::string(host) + ":" + std::string(port);
}

url parse_url(std::string_view text) {
  const auto sep = text.find("://");
  if (sep == std::string_view::npos)
    invalid(fmt::format("URL {} has no scheme: want http://host[:port][/path]", quoted(text)));
  const auto scheme = text.substr(0, sep);
  if (iequals(scheme, "https"))
    invalid(
        fmt::format("URL {}: https is not supported: use a TLS-terminating proxy", quoted(text)));
  if (!iequals(scheme, "http"))
    invalid(fmt::format("URL {}: scheme {} is not supported (only http)", quoted(text),
                        quoted(scheme)));
  auto rest = text.substr(sep + 3);
  const auto end = rest.find_first_of("/?#");
  url u;
  const auto authority = rest.substr(0, end);
  if (authority.empty()) invalid(fmt::format("URL {} has no host", quoted(text)));
  u.host_port = parse_authority(authority);
  auto target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  target = target.substr(0, target.find('#'));  // the fragment stays with the caller
  if (target.empty() || target[0] != '/') u.target.push_back('/');  // "http://h?q": "/?q"
  u.target.append(target);
  check_target(u.target);
  return u;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

std::string_view find_header(const std::vector<header>& hs, std::string_view name) noexcept {
  for (auto& h : hs)
    if (iequals(h.name, name)) return h.value;
  return {};
}

namespace {

// A number in decimal, without a format call (serialize_head runs for every answer).
struct decimal {
  explicit decimal(std::uint64_t n) noexcept {
    end = std::to_chars(text, text + sizeof text, n).ptr;
  }
  std::string_view view() const noexcept { return {text, static_cast<std::size_t>(end - text)}; }
  char text[20];
  char* end;
};

bool no_content_status(int status) noexcept {  // HW4
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace

bool sends_body(int status, bool head_request) noexcept {
  return !head_request && !no_content_status(status);  // HW3, HW4
}

std::string serialize_head(const response& rs, bool keep_alive, std::size_t room) {
  if (rs.status < 100 || rs.status > 599)
    throw invalid_message(fmt::format("status {} is outside 100..599", rs.status));
  const auto code = bhttp::int_to_status(static_cast<unsigned>(rs.status));
  // An unknown status goes out with an empty reason phrase (RFC 9112 §4 allows it).
  const auto reason =
      code == bhttp::status::unknown ? boost::beast::string_view() : bhttp::obsolete_reason(code);
  std::string out;
  out.reserve(64 + 32 * rs.headers.size() + room);
  out.append("HTTP/1.1 ").append(decimal(static_cast<unsigned>(rs.status)).view()).append(" ");
  out.append(reason.data(), reason.size()).append("\r\n");
  for (auto& h : rs.headers) {
    if (iequals(h.name, "content-length") || iequals(h.name, "connection") ||
        iequals(h.name, "transfer-encoding"))
      continue;  // HW2
    check_header(h.name, h.value);
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (!no_content_status(rs.status))  // HW4; HW3: a HEAD answer too
    out.append("Content-Length: ").append(decimal(rs.body.size()).view()).append("\r\n");
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
  return out;
}

std::string serialize(const response& rs, bool keep_alive, bool head_request) {
  const bool body = sends_body(rs.status, head_request);
  std::string out = serialize_head(rs, keep_alive, body ? rs.body.size() : 0);
  if (body) out.append(rs.body);
  return out;
}

std::string serialize(const request& rq, std::string_view host) {
  std::string out = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", rq.method, rq.target, host);
  for (auto& h : rq.headers) {
    if (iequals(h.name, "content-length") || iequals(h.name, "host") ||
        iequals(h.name, "connection") || iequals(h.name, "transfer-encoding") ||
        iequals(h.name, "trailer"))
      continue;
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (!rq.body.empty() || rq.method == "POST" || rq.method == "PUT" || rq.method == "PATCH")
    out.append(fmt::format("Content-Length: {}\r\n", rq.body.size()));
  if (!rq.keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n").append(rq.body);
  return out;
}

net::time_point deadline_from(net::time_point t0, std::chrono::nanoseconds d) noexcept {
  const auto step = std::chrono::ceil<net::time_point::duration>(d);
  if (step.count() <= 0) return t0;
  if (step >= net::time_point::max() - t0) return net::no_deadline;
  return t0 + step;
}

net::time_point coarse_now() noexcept {
  return net::time_point(std::chrono::nanoseconds(goro::detail::coarse_monotonic_ns()));
}

net::time_point deadline_after(std::chrono::nanoseconds d) noexcept {
  return deadline_from(coarse_now(), d);
}

}  // namespace goro::http::detail
