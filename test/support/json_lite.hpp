// Test support: a small JSON parser (objects, arrays, strings without \u escapes, numbers,
// true/false/null), enough to check the runtime's trace export. parse() throws
// std::runtime_error on malformed input.
#pragma once

#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace goro_test::json {

struct value;
using object = std::map<std::string, value>;
using array = std::vector<value>;

struct value {
  std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<array>,
               std::shared_ptr<object>>
      v;
  bool is_object() const { return v.index() == 5; }
  bool is_array() const { return v.index() == 4; }
  bool is_string() const { return v.index() == 3; }
  bool is_number() const { return v.index() == 2; }
  const object& obj() const { return *std::get<5>(v); }
  const array& arr() const { return *std::get<4>(v); }
  const std::string& str() const { return std::get<3>(v); }
  double num() const { return std::get<2>(v); }
  bool has(const std::string& k) const { return is_object() && obj().count(k) > 0; }
  const value& operator[](const std::string& k) const { return obj().at(k); }
};

class parser {
 public:
  explicit parser(std::string_view s) : s_(s) {}
  value parse_all() {
    value v = parse();
    ws();
    if (i_ != s_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("json: ") + what + " at offset " + std::to_string(i_));
  }
  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  char peek() {
    ws();
    if (i_ >= s_.size()) fail("unexpected end");
    return s_[i_];
  }
  void expect(char c) {
    if (peek() != c) fail("unexpected character");
    ++i_;
  }
  bool literal(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  std::string string() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c == '\\') {
        if (i_ >= s_.size()) fail("bad escape");
        char e = s_[i_++];
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            break;
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          default:
            fail("unsupported escape");
        }
      } else {
        out += c;
      }
    }
    if (i_ >= s_.size()) fail("unterminated string");
    ++i_;
    return out;
  }
  value parse() {
    char c = peek();
    if (c == '{') {
      ++i_;
      auto o = std::make_shared<object>();
      if (peek() == '}') {
        ++i_;
        return {o};
      }
      for (;;) {
        std::string k = string();
        expect(':');
        if (!o->emplace(k, parse()).second) fail("duplicate key");
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect('}');
        return {o};
      }
    }
    if (c == '[') {
      ++i_;
      auto a = std::make_shared<array>();
      if (peek() == ']') {
        ++i_;
        return {a};
      }
      for (;;) {
        a->push_back(parse());
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect(']');
        return {a};
      }
    }
    if (c == '"') return {string()};
    if (literal("true")) return {true};
    if (literal("false")) return {false};
    if (literal("null")) return {nullptr};
    const char* b = s_.data() + i_;
    char* e = nullptr;
    std::string num(b, std::min<std::size_t>(s_.size() - i_, 64));
    double d = std::strtod(num.c_str(), &e);
    if (e == num.c_str()) fail("unexpected character");
    i_ += static_cast<std::size_t>(e - num.c_str());
    return {d};
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

inline value parse(std::string_view s) { return parser(s).parse_all(); }

}  // namespace goro_test::json
