// Internal. goro::http's wire format: what goro writes (status line, request line, headers),
// the checks that keep it valid (no header or request injection), the client's URLs, and the
// header lookups shared by the server and the client. Parsing is Boost.Beast's (reader.hpp).
// HW1: what goro writes passed these checks first: a header name is an RFC 9110 token, a value
//      holds no control character but HTAB (CR, LF and NUL split or end a header), a method is
//      a token, a target is origin-form, "*" or absolute http://, in visible ASCII without '#'.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <goro/net/http/message.hpp>
#include <goro/net/tcp.hpp>

namespace goro::http::detail {

bool iequals(std::string_view a, std::string_view b) noexcept;

// A class of bytes as a table (the checks run on every request and answer): ASCII letters
// and digits, plus `extra`.
constexpr std::array<bool, 256> alnum_and(std::string_view extra) noexcept {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
  for (char c : extra) t[static_cast<unsigned char>(c)] = true;
  return t;
}

// The fields of a message Boost.Beast parsed, as goro's headers (in their order).
template <class Fields>
std::vector<header> headers_of(const Fields& f) {
  std::vector<header> out;
  for (auto& field : f) {
    auto n = field.name_string();
    auto v = field.value();
    out.push_back({std::string(n.data(), n.size()), std::string(v.data(), v.size())});
  }
  return out;
}
std::string_view find_header(const std::vector<header>& hs, std::string_view name) noexcept;

// Each throws invalid_message naming the field and the rule it breaks (keeps HW1). set_header,
// the client and the response serializer call them.
void check_header_name(std::string_view name);
void check_header_value(std::string_view name, std::string_view value);
void check_header(std::string_view name, std::string_view value);
void check_method(std::string_view method);
void check_target(std::string_view target);
// The method, the target and every header of `rq`.
void check_request(const request& rq);

// "host[:port]" as dial() and the Host header take it: a name or IPv4 address (letters,
// digits, '-', '.', '_', '~'), or an IPv6 literal in brackets; the port 1..65535, 80 if
// absent. Throws invalid_message naming the problem.
std::string parse_authority(std::string_view authority);

// "http://host[:port][/path][?query][#fragment]" split into what the client dials and the
// request target it sends (the fragment is not sent; no path is "/"). The scheme is
// case-insensitive; https and every other scheme, a userinfo part, a bad host or port, and a
// target that fails check_target throw invalid_message naming the problem.
struct url {
  std::string host_port;
  std::string target;
};
url parse_url(std::string_view text);

// A response as it goes on the wire (HW2..HW4), with Connection: close when the connection
// closes after it. `head_request`: it answers a HEAD (HW3). Throws invalid_message for a
// status outside 100..599 or a header check_header refuses: nothing invalid is written.
// HW2: Content-Length, Connection and Transfer-Encoding are goro's to write: the handler's
//      are dropped (a response never carries both Content-Length and Transfer-Encoding).
// HW3: a HEAD answer has the Content-Length of the body a GET would get, and no body.
// HW4: 1xx, 204 and 304 answers have neither a body nor a Content-Length (RFC 9110 §8.6,
//      RFC 9112 §6.3).
std::string serialize(const response& rs, bool keep_alive, bool head_request = false);
// Its head only (status line, headers, blank line); the body, if it goes out, is rs.body.
// `room`: bytes to reserve after the head (a body the caller appends).
std::string serialize_head(const response& rs, bool keep_alive, std::size_t room = 0);
// Whether a response to this status and method goes out with rs.body (HW3, HW4).
bool sends_body(int status, bool head_request) noexcept;
// A request to `host`, with Host and (when it has a body, or is a POST, PUT or PATCH)
// Content-Length. The request's own Host, Content-Length, Transfer-Encoding, Trailer and
// Connection headers are not written (goro frames the message; Go's Request.Write does the
// same). The caller checked `rq` (check_request).
std::string serialize(const request& rq, std::string_view host);

// The time the server's and the client's deadlines start from: the coarse monotonic clock,
// the precise one's timeline read at the last tick (a few milliseconds behind at most while
// ticks are on time, for a fifth of the cost). A deadline from it falls that much early, on
// timeouts of seconds.
net::time_point coarse_now() noexcept;
// t0 + d, saturated: past the clock's range (nanoseconds::max()) is no deadline; a duration
// of zero or less is t0.
net::time_point deadline_from(net::time_point t0, std::chrono::nanoseconds d) noexcept;
// deadline_from(coarse_now(), d).
net::time_point deadline_after(std::chrono::nanoseconds d) noexcept;

}  // namespace goro::http::detail
