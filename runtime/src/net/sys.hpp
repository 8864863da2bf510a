// Internal. sys: the socket calls goro::net retries around a park, each returning its error
// as a value (as Go's syscall package does), so that no fiber code reads errno after a
// scheduling point.
// E1: errno is thread-local, and a fiber moves between threads at every scheduling point
//     (invariant 3). __errno_location() is declared const, so the compiler may
//     compute errno's address once and keep it across the park of a retry loop (clang does,
//     in stream::read's loop): resumed on another machine, the fiber reads the old thread's
//     errno. A reset read that way as EAGAIN parks the read again, and the edge-triggered
//     poller never reports that socket again: the fiber stays parked for good. The other
//     way round, an EAGAIN read as another thread's error fails a call that should wait.
//     Each function here reads errno inside itself, right after its call and on the thread
//     that made it, and is never inlined into its caller (whose frame spans the parks).
//     Its callers never touch errno.
#pragma once

#include <cstddef>

#include <sys/socket.h>

namespace goro::detail::sys {

struct result {
  long n;   // the call's return value (a count or a descriptor), or -1
  int err;  // errno when n < 0, else 0
};

// Each: the system call of the same name (E1). Any fiber or thread.
result read(int fd, void* buf, std::size_t n) noexcept;
result send(int fd, const void* buf, std::size_t n, int flags) noexcept;
result recv(int fd, void* buf, std::size_t n, int flags) noexcept;
result sendto(int fd, const void* buf, std::size_t n, int flags, const sockaddr* to,
              socklen_t len) noexcept;
result recvfrom(int fd, void* buf, std::size_t n, int flags, sockaddr* from,
                socklen_t* len) noexcept;
result accept4(int fd, sockaddr* addr, socklen_t* len, int flags) noexcept;
result connect(int fd, const sockaddr* addr, socklen_t len) noexcept;

}  // namespace goro::detail::sys
