#include "wire.hpp"

#include <algorithm>
#include <cctype>

#include <boost/beast/http/status.hpp>
#include <fmt/format.h>

namespace goro::http::detail {

namespace bhttp = boost::beast::http;

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view find_header(const std::vector<header>& hs, std::string_view name) noexcept {
  for (auto& h : hs)
    if (iequals(h.name, name)) return h.value;
  return {};
}

namespace {

bool no_content_status(int status) noexcept {  // W3
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace

bool sends_body(int status, bool head_request) noexcept {
  return !head_request && !no_content_status(status);  // W2, W3
}

std::string serialize_head(const response& rs, bool keep_alive) {
  if (rs.status < 100 || rs.status > 599)
    throw invalid_message(fmt::format("status {} is outside 100..599", rs.status));
  const auto code = bhttp::int_to_status(static_cast<unsigned>(rs.status));
  // An unknown status goes out with an empty reason phrase (RFC 9112 §4 allows it).
  const auto reason = code == bhttp::status::unknown ? boost::beast::string_view()
                                                       : bhttp::obsolete_reason(code);
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", rs.status,
                                std::string_view(reason.data(), reason.size()));
  for (auto& h : rs.headers) {
    if (iequals(h.name, "content-length") || iequals(h.name, "connection") ||
        iequals(h.name, "transfer-encoding"))
      continue;  // W1
    check_header(h.name, h.value);
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (!no_content_status(rs.status))  // W3
    out.append(fmt::format("Content-Length: {}\r\n", rs.body.size()));  // W2: HEAD too
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
  return out;
}

std::string serialize(const response& rs, bool keep_alive, bool head_request) {
  std::string out = serialize_head(rs, keep_alive);
  if (sends_body(rs.status, head_request)) out.append(rs.body);
  return out;
}

std::string serialize(const request& rq, std::string_view host) {
  std::string out = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", rq.method, rq.target, host);
  for (auto& h : rq.headers) {
    if (iequals(h.name, "content-length") || iequals(h.name, "host") ||
        iequals(h.name, "connection"))
      continue;
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (!rq.body.empty() || rq.method == "POST" || rq.method == "PUT")
    out.append(fmt::format("Content-Length: {}\r\n", rq.body.size()));
  if (!rq.keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n").append(rq.body);
  return out;
}

net::time_point deadline_after(std::chrono::nanoseconds d) noexcept {
  const auto now = std::chrono::steady_clock::now();
  const auto left = net::time_point::max() - now;
  const auto step = std::chrono::ceil<std::chrono::steady_clock::duration>(d);
  if (d.count() <= 0) return now;
  if (step >= left) return net::no_deadline;
  return now + step;
}

}  // namespace goro::http::detail
