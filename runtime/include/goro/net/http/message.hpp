// goro::http messages: a request, a response and their headers, as a handler and a client
// see them. What goro writes is valid HTTP/1.1 or is refused: set_header() and the client
// reject a header name that is not a token, a value holding CR, LF or NUL (header
// injection), a method that is not a token and a target with a space or a control
// character (request injection); the server refuses a status outside 100..599.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace goro::http {

struct header {
  std::string name, value;
};

// A message goro will not write: the text names the field and the rule it breaks.
class invalid_message : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct request {
  std::string method = "GET";
  std::string target = "/";
  std::vector<header> headers;
  std::string body;
  bool keep_alive = true;  // HTTP/1.1's default; "Connection: close" makes it false
  // The first header of that name (case-insensitive), or "" if there is none.
  std::string_view header_value(std::string_view name) const noexcept;
};

struct response {
  int status = 200;
  std::vector<header> headers;  // Content-Length and Connection are goro's to write
  std::string body;             // not sent for HEAD, 1xx, 204 and 304
  std::string_view header_value(std::string_view name) const noexcept;
  // Sets (or replaces) a header; throws invalid_message for a name that is not a token or a
  // value with CR, LF or NUL.
  void set_header(std::string name, std::string value);
};

}  // namespace goro::http
