// Internal. goro::http's wire format: what goro writes (status line, request line, headers)
// and the header lookups shared by the server and the client. Parsing is Boost.Beast's
// (reader.hpp).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <goro/net/http/message.hpp>
#include <goro/net/tcp.hpp>

namespace goro::http::detail {

bool iequals(std::string_view a, std::string_view b) noexcept;
std::string_view find_header(const std::vector<header>& hs, std::string_view name) noexcept;

// Throws invalid_message, naming the header, for a name that is not a token or a value with
// CR, LF or NUL (shared by set_header, the client and the response serializer).
void check_header(std::string_view name, std::string_view value);

// A response as it goes on the wire (W1..W3), with Connection: close when the connection
// closes after it. `head_request`: it answers a HEAD (W2). Throws invalid_message for a
// status outside 100..599 or a header check_header refuses: nothing invalid is written.
// W1: Content-Length, Connection and Transfer-Encoding are goro's to write: the handler's
//     are dropped (a response never carries both Content-Length and Transfer-Encoding).
// W2: a HEAD answer has the Content-Length of the body a GET would get, and no body.
// W3: 1xx, 204 and 304 answers have neither a body nor a Content-Length (RFC 9110 §8.6,
//     RFC 9112 §6.3).
std::string serialize(const response& rs, bool keep_alive, bool head_request = false);
// Its head only (status line, headers, blank line); the body, if it goes out, is rs.body.
std::string serialize_head(const response& rs, bool keep_alive);
// Whether a response to this status and method goes out with rs.body (W2, W3).
bool sends_body(int status, bool head_request) noexcept;
// A request to `host`, with Host and (when it has a body, or is a POST or PUT)
// Content-Length.
std::string serialize(const request& rq, std::string_view host);

// now + d, saturated: a duration past the clock's range (nanoseconds::max()) is no deadline.
net::time_point deadline_after(std::chrono::nanoseconds d) noexcept;

}  // namespace goro::http::detail
