// Internal. fatal: the runtime's unrecoverable errors. "goro: fatal: <message>" on stderr,
// then abort() (exit status 134), as a Go runtime throw. Formats without allocating when
// called with a small message, so it is usable from the SIGSEGV handler.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace goro::detail {

// Writes the whole buffer to stderr with write(2) (async-signal-safe).
void write_stderr(const char* s, std::size_t n) noexcept;

[[noreturn]] void fatal_message(const char* s, std::size_t n) noexcept;

template <class... Args>
[[noreturn]] void fatal(fmt::format_string<Args...> f, Args&&... args) noexcept {
  char buf[1024];
  constexpr char prefix[] = "goro: fatal: ";
  std::size_t n = sizeof(prefix) - 1;
  std::memcpy(buf, prefix, n);
  auto r = fmt::format_to_n(buf + n, sizeof(buf) - n - 1, f, std::forward<Args>(args)...);
  n += std::min<std::size_t>(r.size, sizeof(buf) - n - 1);
  buf[n++] = '\n';
  fatal_message(buf, n);
}

}  // namespace goro::detail

// GORO_CHECK(cond, fmt, args...): an internal invariant; on failure, a fatal error.
#define GORO_CHECK(cond, ...)                                             \
  do {                                                                    \
    if (__builtin_expect(!(cond), 0)) ::goro::detail::fatal(__VA_ARGS__); \
  } while (0)
