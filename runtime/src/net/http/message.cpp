#include <goro/net/http/message.hpp>

#include "wire.hpp"

namespace goro::http {

std::string_view request::header_value(std::string_view name) const noexcept {
  return detail::find_header(headers, name);
}
std::string_view response::header_value(std::string_view name) const noexcept {
  return detail::find_header(headers, name);
}
void response::set_header(std::string name, std::string value) {
  detail::check_header(name, value);  // keeps HW1 of wire.hpp: nothing is stored if it throws
  for (auto& h : headers)
    if (detail::iequals(h.name, name)) {
      h.value = std::move(value);
      return;
    }
  headers.push_back({std::move(name), std::move(value)});
}

}  // namespace goro::http
