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

// A response as it goes on the wire, with its Content-Length and, when the connection
// closes after it, Connection: close.
std::string serialize(const response& rs, bool keep_alive);
// A request to `host`, with Host and (when it has a body, or is a POST or PUT)
// Content-Length.
std::string serialize(const request& rq, std::string_view host);

// now + d, saturated: a duration past the clock's range (nanoseconds::max()) is no deadline.
net::time_point deadline_after(std::chrono::nanoseconds d) noexcept;

}  // namespace goro::http::detail
