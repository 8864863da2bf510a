#include "framing.hpp"

#include <string_view>

#include "wire.hpp"

namespace goro::http::detail {

namespace bhttp = boost::beast::http;

namespace {

bool ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && ows(s.back())) s.remove_suffix(1);
  return s;
}

// Calls fn(element) for each element of a comma list, trimmed of OWS; empty elements are
// passed too (the caller decides).
template <class Fn>
void for_each_element(std::string_view list, Fn fn) {
  for (;;) {
    const auto comma = list.find(',');
    fn(trim(list.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// Go's httpguts.ValidHostHeader: the bytes a host[:port] (with IPv6 brackets and a zone's
// %25) may hold. Empty is allowed (RFC 9112 §3.2: a request-target without authority).
constexpr auto host_table = alnum_and("!$%&'()*+,-.:;=[]_~");

bool valid_host(std::string_view v) {
  for (unsigned char c : v)
    if (!host_table[c]) return false;
  return true;
}

std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

head_verdict check_request_head(const bhttp::request_header<>& h, bool beast_chunked,
                                std::optional<std::uint64_t> content_length) {
  head_verdict v;
  const bool http11 = h.version() >= 11;

  // HF4
  int hosts = 0;
  for (auto [it, end] = h.equal_range(bhttp::field::host); it != end; ++it) {
    ++hosts;
    if (!valid_host(sv(it->value()))) return {400, "invalid Host header\n"};
  }
  if (hosts > 1) return {400, "more than one Host header\n"};
  if (hosts == 0 && http11) return {400, "missing required Host header\n"};

  // HF1, HF2: every Transfer-Encoding line, as one list.
  int codings = 0, chunked = 0, empty = 0;
  bool last_chunked = false;
  bool any_te = false;
  for (auto [it, end] = h.equal_range(bhttp::field::transfer_encoding); it != end; ++it) {
    any_te = true;
    for_each_element(sv(it->value()), [&](std::string_view coding) {
      if (coding.empty()) {
        ++empty;
        return;
      }
      ++codings;
      last_chunked = iequals(coding, "chunked");
      if (last_chunked) ++chunked;
    });
  }
  if (any_te) {
    if (h.count(bhttp::field::content_length) > 0)
      return {400, "Transfer-Encoding together with Content-Length\n"};
    if (codings == 0 || !last_chunked) return {400, "Transfer-Encoding does not end in chunked\n"};
    if (chunked > 1) return {400, "chunked applied more than once\n"};
    // Beast must read the body as we framed it: anything else is a request we do not
    // understand the length of (keeps HF1).
    if (!beast_chunked) return {400, "unrecognized Transfer-Encoding\n"};
    if (codings > 1) return {501, "unsupported transfer encoding\n"};
    if (!http11) v.close_after = true;  // HF3
  } else if (beast_chunked) {
    return {400, "unrecognized Transfer-Encoding\n"};  // cannot happen: HF1 by construction
  }

  // HF5
  bool continue_expected = false;
  for (auto [it, end] = h.equal_range(bhttp::field::expect); it != end; ++it) {
    bool other = false;
    for_each_element(sv(it->value()), [&](std::string_view e) {
      if (iequals(e, "100-continue"))
        continue_expected = true;
      else if (!e.empty())
        other = true;
    });
    if (other) return {417, "unsupported Expect\n"};
  }
  const bool body_to_come = beast_chunked || (content_length && *content_length > 0);
  v.expect_continue = continue_expected && http11 && body_to_come;
  return v;
}

}  // namespace goro::http::detail
