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

std::string serialize(const response& rs, bool keep_alive) {
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(rs.status));
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", rs.status,
                                std::string_view(reason.data(), reason.size()));
  for (auto& h : rs.headers) {
    if (iequals(h.name, "content-length") || iequals(h.name, "connection")) continue;
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  out.append(fmt::format("Content-Length: {}\r\n", rs.body.size()));
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n").append(rs.body);
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
