// samples/flags.hpp: the samples' command-line flags. `--name value` or `--name=value`;
// a switch takes no value. --help (or -h) prints the usage on stdout and exits 0; a bad
// flag or value prints "<program>: <why>" and the usage on stderr and exits 2. So does an
// option the runtime rejects when it starts (GORO_PROCS=lots): main catches its
// goro::option_error and returns option_failed().
//
//   int main(int argc, char** argv) try {
//     int n = 10;
//     bool fixed = false;
//     samples::flags("deadlock", usage).integer("--fibers", n, 1, 1000).toggle("--fixed", fixed)
//         .parse(argc, argv);
//     ...
//   } catch (const goro::option_error& e) {
//     return samples::option_failed("deadlock", e);
//   }
#pragma once

#include <charconv>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <goro/error.hpp>

namespace samples {

// A goro option rejected at the runtime's start: "<program>: <why>" on stderr, and 2, the exit
// status of a bad flag, for main to return.
inline int option_failed(std::string_view program, const goro::option_error& e) {
  fmt::print(stderr, "{}: {}\n", program, e.what());
  return 2;
}

class flags {
 public:
  flags(std::string_view program, std::string_view usage) : program_(program), usage_(usage) {}

  // An integer flag within [lo, hi].
  flags& integer(std::string_view name, int& out, int lo, int hi) {
    specs_.push_back({name, true, [this, name, &out, lo, hi](std::string_view v) {
                        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
                        if (ec != std::errc() || end != v.data() + v.size() || out < lo || out > hi)
                          fail(fmt::format("{}: want {}..{}", name, lo, hi));
                      }});
    return *this;
  }
  // A flag whose value is one of `allowed`.
  flags& choice(std::string_view name, std::string& out,
                std::initializer_list<std::string_view> allowed) {
    std::vector<std::string_view> ok(allowed);
    specs_.push_back({name, true, [this, name, &out, ok](std::string_view v) {
                        for (auto a : ok)
                          if (a == v) {
                            out = v;
                            return;
                          }
                        fail(fmt::format("{}: want one of {}", name, fmt::join(ok, ", ")));
                      }});
    return *this;
  }
  // A switch: present means true.
  flags& toggle(std::string_view name, bool& out) {
    specs_.push_back({name, false, [&out](std::string_view) { out = true; }});
    return *this;
  }

  void parse(int argc, char** argv) const {
    for (int i = 1; i < argc; ++i) {
      std::string_view flag = argv[i], value;
      if (flag == "--help" || flag == "-h") {
        fmt::print("{}", usage_);
        std::exit(0);
      }
      bool has_value = false;
      if (auto eq = flag.find('='); eq != flag.npos) {
        value = flag.substr(eq + 1);
        flag = flag.substr(0, eq);
        has_value = true;
      }
      const spec* s = find(flag);
      if (!s) fail(fmt::format("unknown flag {}", flag));
      if (s->takes_value && !has_value) {
        if (i + 1 >= argc) fail(fmt::format("{}: missing value", flag));
        value = argv[++i];
      } else if (!s->takes_value && has_value) {
        fail(fmt::format("{} takes no value", flag));
      }
      s->set(value);
    }
  }

 private:
  struct spec {
    std::string_view name;
    bool takes_value;
    std::function<void(std::string_view)> set;
  };
  const spec* find(std::string_view name) const {
    for (auto& s : specs_)
      if (s.name == name) return &s;
    return nullptr;
  }
  [[noreturn]] void fail(const std::string& why) const {
    fmt::print(stderr, "{}: {}\n{}", program_, why, usage_);
    std::exit(2);
  }

  std::string_view program_, usage_;
  std::vector<spec> specs_;
};

}  // namespace samples
