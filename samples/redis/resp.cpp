// samples/redis/resp.cpp: the RESP2 parser, as Redis' processMultibulkBuffer and
// processInlineBuffer read requests (networking.c), and the writer.
// RP1: buf_[0, pos_) is consumed; a returned command's bytes are all below pos_.
// RP2: multibulk_ > 0 while inside an array; bulk_ >= 0 once its "$N" line was read.
// RP3: once error_ is set the parser stays failed: nothing after a protocol error is a command.
#include "resp.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

namespace redis {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
}

}  // namespace

std::optional<std::int64_t> parse_int(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  bool negative = false;
  std::size_t i = 0;
  if (s[0] == '-') {
    negative = true;
    if (s.size() == 1) return std::nullopt;
    i = 1;
  }
  if (s[i] == '0') {
    if (s.size() == 1) return 0;
    return std::nullopt;  // "-0", "01": Redis' string2ll refuses them
  }
  std::uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const std::uint64_t d = static_cast<std::uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (negative) {
    if (v > static_cast<std::uint64_t>(INT64_MAX) + 1) return std::nullopt;
    return static_cast<std::int64_t>(0 - v);
  }
  if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

std::optional<std::vector<std::string>> split_inline(std::string_view line) {
  line = line.substr(0, line.find('\0'));  // Redis reads the line as a C string
  std::vector<std::string> out;
  std::size_t p = 0;
  const auto at = [&](std::size_t i) { return i < line.size() ? line[i] : '\0'; };
  for (;;) {
    while (p < line.size() && is_space(line[p])) ++p;
    if (p >= line.size()) return out;
    bool in_double = false, in_single = false, done = false;
    std::string cur;
    while (!done) {
      const char c = at(p);
      if (in_double) {
        if (c == '\\' && at(p + 1) == 'x' && is_hex(at(p + 2)) && is_hex(at(p + 3))) {
          cur += static_cast<char>(hex_value(at(p + 2)) * 16 + hex_value(at(p + 3)));
          p += 3;
        } else if (c == '\\' && at(p + 1) != '\0') {
          ++p;
          switch (at(p)) {
            case 'n':
              cur += '\n';
              break;
            case 'r':
              cur += '\r';
              break;
            case 't':
              cur += '\t';
              break;
            case 'b':
              cur += '\b';
              break;
            case 'a':
              cur += '\a';
              break;
            default:
              cur += at(p);
              break;
          }
        } else if (c == '"') {
          if (at(p + 1) != '\0' && !is_space(at(p + 1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;  // unterminated
        } else {
          cur += c;
        }
      } else if (in_single) {
        if (c == '\\' && at(p + 1) == '\'') {
          ++p;
          cur += '\'';
        } else if (c == '\'') {
          if (at(p + 1) != '\0' && !is_space(at(p + 1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;
        } else {
          cur += c;
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            cur += c;
            break;
        }
      }
      if (p < line.size()) ++p;
    }
    out.push_back(std::move(cur));
  }
}

void request_parser::feed(std::string_view bytes) {
  if (!error_.empty()) return;
  // Drop the consumed prefix once it outweighs what is left (keeps RP1; amortised O(1)).
  if (pos_ > 0 && pos_ >= buf_.size() - pos_) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

parse_status request_parser::fail(std::string why) {
  error_ = "Protocol error: " + std::move(why);
  return parse_status::error;
}

parse_status request_parser::next(std::vector<std::string>& argv) {
  for (;;) {
    if (!error_.empty()) return parse_status::error;  // keeps RP3
    if (pos_ == buf_.size()) return parse_status::need_more;
    const bool multibulk = multibulk_ > 0 || buf_[pos_] == '*';
    auto st = multibulk ? parse_multibulk(argv) : parse_inline(argv);
    if (st != parse_status::command || !argv.empty()) return st;
    // An empty command: skipped, as Redis does.
  }
}

parse_status request_parser::parse_inline(std::vector<std::string>& argv) {
  const std::string_view rest = std::string_view(buf_).substr(pos_);
  auto nl = rest.find('\n');
  // Past the limit with or without its end (Redis looks only while the end is missing, so
  // its verdict on a line a little longer depends on how the bytes arrived; this one not).
  if ((nl == rest.npos ? rest.size() : nl) > limits_.max_inline)
    return fail("too big inline request");
  if (nl == rest.npos) return parse_status::need_more;
  std::size_t len = nl, eol = 1;
  if (nl > 0 && rest[nl - 1] == '\r') --len, ++eol;
  auto args = split_inline(rest.substr(0, len));
  if (!args) return fail("unbalanced quotes in request");
  pos_ += len + eol;
  argv = std::move(*args);
  return parse_status::command;
}

parse_status request_parser::parse_multibulk(std::vector<std::string>& argv) {
  if (multibulk_ == 0) {
    const std::string_view rest = std::string_view(buf_).substr(pos_);
    auto cr = rest.find('\r');
    if ((cr == rest.npos ? rest.size() : cr) > limits_.max_inline)
      return fail("too big mbulk count string");
    if (cr == rest.npos) return parse_status::need_more;
    if (cr + 2 > rest.size()) return parse_status::need_more;  // the '\n' after it
    auto n = parse_int(rest.substr(1, cr - 1));
    if (!n || *n > limits_.max_multibulk) return fail("invalid multibulk length");
    pos_ += cr + 2;
    if (*n <= 0) {
      argv.clear();
      return parse_status::command;  // "*0" or "*-1": nothing to run
    }
    multibulk_ = *n;
    args_.clear();
    args_.reserve(static_cast<std::size_t>(std::min<std::int64_t>(*n, 1024)));
  }
  while (multibulk_ > 0) {
    const std::string_view rest = std::string_view(buf_).substr(pos_);
    if (bulk_ < 0) {
      auto cr = rest.find('\r');
      if ((cr == rest.npos ? rest.size() : cr) > limits_.max_inline)
        return fail("too big bulk count string");
      if (cr == rest.npos) return parse_status::need_more;
      if (cr + 2 > rest.size()) return parse_status::need_more;
      if (rest[0] != '$') return fail(fmt::format("expected '$', got '{}'", rest[0]));
      auto n = parse_int(rest.substr(1, cr - 1));
      if (!n || *n < 0 || *n > limits_.max_bulk) return fail("invalid bulk length");
      pos_ += cr + 2;
      bulk_ = *n;
      continue;
    }
    // The bulk and the two bytes after it (Redis skips them without looking at them).
    if (rest.size() < static_cast<std::size_t>(bulk_) + 2) return parse_status::need_more;
    args_.emplace_back(rest.substr(0, static_cast<std::size_t>(bulk_)));
    pos_ += static_cast<std::size_t>(bulk_) + 2;
    bulk_ = -1;
    --multibulk_;
  }
  argv = std::move(args_);
  args_.clear();
  return parse_status::command;
}

void write_simple(std::string& out, std::string_view s) {
  out += '+';
  out += s;
  out += "\r\n";
}
void write_error(std::string& out, std::string_view s) {
  out += '-';
  out += s;
  out += "\r\n";
}
void write_integer(std::string& out, std::int64_t n) {
  fmt::format_to(std::back_inserter(out), ":{}\r\n", n);
}
void write_bulk(std::string& out, std::string_view s) {
  fmt::format_to(std::back_inserter(out), "${}\r\n", s.size());
  out += s;
  out += "\r\n";
}
void write_null(std::string& out) { out += "$-1\r\n"; }
void write_array(std::string& out, std::int64_t n) {
  fmt::format_to(std::back_inserter(out), "*{}\r\n", n);
}

namespace {

// Parses one value at buf[pos..]; empty if incomplete. Throws on malformed input.
std::optional<value> parse_value(std::string_view buf, std::size_t& pos, int depth) {
  if (depth > 64) throw std::runtime_error("resp: arrays nested too deep");
  auto cr = buf.find("\r\n", pos);
  if (cr == buf.npos) return std::nullopt;
  const char type = buf[pos];
  const std::string_view line = buf.substr(pos + 1, cr - pos - 1);
  std::size_t at = cr + 2;
  value v;
  auto number = [&] {
    auto n = parse_int(line);
    if (!n) throw std::runtime_error(fmt::format("resp: bad number '{}'", line));
    return *n;
  };
  switch (type) {
    case '+':
      v.type = value::kind::simple;
      v.text = line;
      break;
    case '-':
      v.type = value::kind::error;
      v.text = line;
      break;
    case ':':
      v.type = value::kind::integer;
      v.integer = number();
      break;
    case '$': {
      auto n = number();
      if (n == -1) {
        v.type = value::kind::null;
        break;
      }
      if (n < 0) throw std::runtime_error("resp: bad bulk length");
      if (buf.size() < at + static_cast<std::size_t>(n) + 2) return std::nullopt;
      if (buf.substr(at + static_cast<std::size_t>(n), 2) != "\r\n")
        throw std::runtime_error("resp: bulk not followed by CRLF");
      v.type = value::kind::bulk;
      v.text = buf.substr(at, static_cast<std::size_t>(n));
      at += static_cast<std::size_t>(n) + 2;
      break;
    }
    case '*': {
      auto n = number();
      if (n == -1) {
        v.type = value::kind::null_array;
        break;
      }
      if (n < 0) throw std::runtime_error("resp: bad array length");
      v.type = value::kind::array;
      for (std::int64_t i = 0; i < n; ++i) {
        auto item = parse_value(buf, at, depth + 1);
        if (!item) return std::nullopt;
        v.items.push_back(std::move(*item));
      }
      break;
    }
    default:
      throw std::runtime_error(fmt::format("resp: unknown type byte '{}'", type));
  }
  pos = at;
  return v;
}

}  // namespace

std::optional<value> reply_reader::next() {
  std::size_t pos = 0;
  if (buf_.empty()) return std::nullopt;
  auto v = parse_value(buf_, pos, 0);
  if (v) buf_.erase(0, pos);
  return v;
}

}  // namespace redis
