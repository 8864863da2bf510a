#include "debug/fatal.hpp"

#include <cstdlib>

#include <unistd.h>

namespace goro::detail {

void write_stderr(const char* s, std::size_t n) noexcept {
  while (n > 0) {
    auto w = ::write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

void fatal_message(const char* s, std::size_t n) noexcept {
  write_stderr(s, n);
  std::abort();
}

}  // namespace goro::detail
