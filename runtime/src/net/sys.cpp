// sys: socket calls with their error as a value (E1 in sys.hpp).
#include "net/sys.hpp"

#include <cerrno>

#include <unistd.h>

namespace goro::detail::sys {

namespace {

// The outcome of the call just made, with errno read on this thread (E1).
result done(long n) noexcept { return {n, n < 0 ? errno : 0}; }

}  // namespace

// Keeps E1: each wrapper is never inlined into its caller (whose frame may span a park), and
// within it the call and the errno read run on one thread with no scheduling point between.

__attribute__((noinline)) result read(int fd, void* buf, std::size_t n) noexcept {
  return done(::read(fd, buf, n));
}

__attribute__((noinline)) result send(int fd, const void* buf, std::size_t n, int flags) noexcept {
  return done(::send(fd, buf, n, flags));
}

__attribute__((noinline)) result recv(int fd, void* buf, std::size_t n, int flags) noexcept {
  return done(::recv(fd, buf, n, flags));
}

__attribute__((noinline)) result sendto(int fd, const void* buf, std::size_t n, int flags,
                                        const sockaddr* to, socklen_t len) noexcept {
  return done(::sendto(fd, buf, n, flags, to, len));
}

__attribute__((noinline)) result recvfrom(int fd, void* buf, std::size_t n, int flags,
                                          sockaddr* from, socklen_t* len) noexcept {
  return done(::recvfrom(fd, buf, n, flags, from, len));
}

__attribute__((noinline)) result accept4(int fd, sockaddr* addr, socklen_t* len,
                                         int flags) noexcept {
  return done(::accept4(fd, addr, len, flags));
}

__attribute__((noinline)) result connect(int fd, const sockaddr* addr, socklen_t len) noexcept {
  return done(::connect(fd, addr, len));
}

}  // namespace goro::detail::sys
