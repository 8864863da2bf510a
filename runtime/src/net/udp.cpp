// goro::net::udp_socket on the network poller.
#include <cerrno>
#include <system_error>

#include <sys/socket.h>
#include <unistd.h>

#include <goro/net/udp.hpp>

#include "net/net_fd.hpp"
#include "net/sys.hpp"

namespace goro::net {

using detail::fd_call;
using detail::io_mode;
using detail::io_wait;

udp_socket udp_socket::bind(std::string_view host_port) {
  address a = address::parse(host_port);
  const std::string what = "goro::net: bind udp " + std::string(host_port);
  int fd = ::socket(a.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::system_category(), what);
  if (::bind(fd, a.data(), a.size()) != 0) {
    int err = errno;
    ::close(fd);
    throw std::system_error(err, std::system_category(), what);
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return udp_socket(new detail::net_fd(
      fd, "socket", address::from(reinterpret_cast<sockaddr*>(&ss), len), address{}));
}

void udp_socket::send_to(const void* buf, std::size_t n, const address& to) {
  fd_call call(fd_, "send");
  detail::net_fd* f = call.get();  // not fd_: the socket may go while the call waits (NF2)
  detail::check_or_throw(f, io_mode::write, "send");
  for (;;) {
    const auto w = detail::sys::sendto(f->fd, buf, n, MSG_NOSIGNAL, to.data(), to.size());  // E1
    if (w.n >= 0) return;
    if (w.err == EINTR) continue;
    if (w.err != EAGAIN)
      throw std::system_error(w.err, std::system_category(), "goro::net: send " + to.to_string());
    detail::wait_or_throw(f, io_mode::write, "send");
  }
}

udp_socket::received udp_socket::receive_from(void* buf, std::size_t n) {
  fd_call call(fd_, "receive");
  detail::net_fd* f = call.get();  // not fd_ (NF2)
  detail::check_or_throw(f, io_mode::read, "receive");
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const auto r =
        detail::sys::recvfrom(f->fd, buf, n, 0, reinterpret_cast<sockaddr*>(&ss), &len);  // E1
    if (r.n >= 0)
      return {static_cast<std::size_t>(r.n), address::from(reinterpret_cast<sockaddr*>(&ss), len)};
    if (r.err == EINTR) continue;
    if (r.err != EAGAIN) detail::throw_net_error(f, "receive", r.err);
    detail::wait_or_throw(f, io_mode::read, "receive");
  }
}

void udp_socket::set_read_deadline(time_point t) noexcept {
  detail::set_deadline(fd_, io_mode::read, t);
}
void udp_socket::set_write_deadline(time_point t) noexcept {
  detail::set_deadline(fd_, io_mode::write, t);
}
address udp_socket::local_address() const { return fd_ ? fd_->local : address{}; }

}  // namespace goro::net
