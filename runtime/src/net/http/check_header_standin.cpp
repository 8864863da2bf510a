// STAND-IN, to be deleted at the merge: detail::check_header belongs to the shared validation
// (the client's branch of issue 14, wire.cpp). The response serializer calls it; this copy of
// its rule (RFC 9110 token name; value without CR, LF or NUL) only lets this branch build.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "wire.hpp"

namespace goro::http::detail {

void check_header(std::string_view name, std::string_view value) {
  auto tchar = [](unsigned char c) {
    return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                  std::string_view::npos;
  };
  if (name.empty() || !std::all_of(name.begin(), name.end(), tchar))
    throw invalid_message(fmt::format("header name {:?} is not a token", name));
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
    throw invalid_message(fmt::format("header {}: value holds CR, LF or NUL", name));
}

}  // namespace goro::http::detail
