// Internal. fd_handle: what a TCP stream, a listener and a UDP socket share: the handle's
// reference to its descriptor's net_fd, moved, closed and let go of the same way (NF2 in
// runtime/src/net/net_fd.hpp: calls in flight keep the net_fd; the descriptor is closed when
// the last of them and the handle lets go).
#pragma once

#include <utility>

namespace goro::detail {

struct net_fd;

class fd_handle {
 public:
  fd_handle() noexcept = default;
  explicit fd_handle(net_fd* fd) noexcept : fd_(fd) {}
  fd_handle(fd_handle&& o) noexcept : fd_(std::exchange(o.fd_, nullptr)) {}
  fd_handle& operator=(fd_handle&& o) noexcept;
  ~fd_handle();

  // Closes the descriptor; blocked calls on it end with an error. Idempotent. Any fiber or
  // thread, concurrently with calls on it.
  void close() noexcept;
  explicit operator bool() const noexcept { return fd_ != nullptr; }

 protected:
  net_fd* fd_ = nullptr;
};

}  // namespace goro::detail
