// goro::net TCP: listen, accept, dial and the stream's calls, on the network poller.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include <sys/socket.h>
#include <unistd.h>

#include <goro/detail/futex.hpp>
#include <goro/net/tcp.hpp>
#include <goro/this_fiber.hpp>

#include "net/net_fd.hpp"
#include "net/sys.hpp"
#include <netinet/in.h>
#include <netinet/tcp.h>

namespace goro::net {

using detail::fd_call;
using detail::io_mode;
using detail::io_wait;
using detail::net_fd;

namespace {

address local_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return address::from(reinterpret_cast<sockaddr*>(&ss), len);
}

int new_socket(int family, const std::string& what) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::system_category(), what);
  return fd;
}

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::atomic<bool> emfile_reported{false};

}  // namespace

// --- stream ---

namespace {

std::size_t read_some(net_fd* f, void* buf, std::size_t n, const std::atomic<bool>* stop) {
  detail::check_or_throw(f, io_mode::read, "read", stop);
  for (;;) {
    const auto r = detail::sys::read(f->fd, buf, n);  // E1 (sys.hpp): never errno here
    if (r.n >= 0) return static_cast<std::size_t>(r.n);
    if (r.err == EINTR) continue;
    if (r.err != EAGAIN) detail::throw_net_error(f, "read", r.err);
    detail::wait_or_throw(f, io_mode::read, "read", stop);
  }
}

}  // namespace

// Each call below uses call.get(), never fd_: the stream may be destroyed while the call
// is parked (NF2 in net_fd.hpp).

std::size_t stream::read(void* buf, std::size_t n, std::stop_token st) {
  fd_call call(fd_, "read");
  net_fd* f = call.get();
  detail::stop_watch stop(f, io_mode::read, std::move(st));
  return read_some(f, buf, n, stop.flag());
}

void stream::read_full(void* buf, std::size_t n, std::stop_token st) {
  fd_call call(fd_, "read");
  net_fd* f = call.get();
  detail::stop_watch stop(f, io_mode::read, std::move(st));
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    std::size_t got = read_some(f, p, n, stop.flag());
    if (got == 0)
      throw std::system_error(std::make_error_code(std::errc::io_error),
                              detail::net_context(f, "read") + ": unexpected end of stream");
    p += got;
    n -= got;
  }
}

void stream::write_all(const void* buf, std::size_t n, std::stop_token st) {
  fd_call call(fd_, "write");
  net_fd* f = call.get();
  detail::stop_watch stop(f, io_mode::write, std::move(st));
  detail::check_or_throw(f, io_mode::write, "write", stop.flag());
  auto* p = static_cast<const char*>(buf);
  while (n > 0) {
    const auto w = detail::sys::send(f->fd, p, n, MSG_NOSIGNAL);  // EPIPE, not SIGPIPE; E1
    if (w.n >= 0) {
      p += w.n;
      n -= static_cast<std::size_t>(w.n);
      continue;
    }
    if (w.err == EINTR) continue;
    if (w.err != EAGAIN) detail::throw_net_error(f, "write", w.err);
    detail::wait_or_throw(f, io_mode::write, "write", stop.flag());
  }
}

void stream::shutdown_write() {
  fd_call call(fd_, "shutdown");
  if (::shutdown(call.get()->fd, SHUT_WR) != 0)
    detail::throw_net_error(call.get(), "shutdown", errno);
}

void stream::set_deadline(time_point t) noexcept {
  set_read_deadline(t);
  set_write_deadline(t);
}
void stream::set_read_deadline(time_point t) noexcept {
  detail::set_deadline(fd_, io_mode::read, t);
}
void stream::set_write_deadline(time_point t) noexcept {
  detail::set_deadline(fd_, io_mode::write, t);
}

void stream::set_no_delay(bool on) {
  fd_call call(fd_, "setsockopt");
  int v = on ? 1 : 0;
  if (::setsockopt(call.get()->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) != 0)
    detail::throw_net_error(call.get(), "setsockopt", errno);
}

address stream::local_address() const { return fd_ ? fd_->local : address{}; }
address stream::remote_address() const { return fd_ ? fd_->peer : address{}; }
int stream::native_handle() const noexcept { return fd_ ? fd_->fd : -1; }

// --- listener ---

stream listener::accept(std::stop_token st) {
  fd_call call(fd_, "accept");
  net_fd* f = call.get();  // not fd_: the listener may go while accept waits (NF2)
  detail::stop_watch stop(f, io_mode::read, std::move(st));
  detail::check_or_throw(f, io_mode::read, "accept", stop.flag());
  auto backoff = std::chrono::milliseconds(5);
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const auto r = detail::sys::accept4(f->fd, reinterpret_cast<sockaddr*>(&ss), &len,
                                        SOCK_NONBLOCK | SOCK_CLOEXEC);  // E1
    if (r.n >= 0) {
      const int c = static_cast<int>(r.n);
      set_nodelay(c);
      return stream(new net_fd(c, "stream", local_of(c),
                               address::from(reinterpret_cast<sockaddr*>(&ss), len)));
    }
    const int err = r.err;
    if (err == EINTR || err == ECONNABORTED) continue;
    if (err == EAGAIN) {
      detail::wait_or_throw(f, io_mode::read, "accept", stop.flag());
      continue;
    }
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
      // Out of descriptors or memory: back off and retry, as Go's http.Server does; the
      // connection waits in the backlog meanwhile.
      if (!emfile_reported.exchange(true, std::memory_order_relaxed))
        std::fprintf(stderr, "%s: %s; retrying with backoff (reported once)\n",
                     detail::net_context(f, "accept").c_str(), std::strerror(err));
      this_fiber::sleep_for(backoff);
      detail::check_or_throw(f, io_mode::read, "accept", stop.flag());
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(1));
      continue;
    }
    detail::throw_net_error(f, "accept", err);
  }
}

void listener::set_deadline(time_point t) noexcept { detail::set_deadline(fd_, io_mode::read, t); }

address listener::local_address() const { return fd_ ? fd_->local : address{}; }

// --- listen / dial ---

listener listen(std::string_view host_port, int backlog) {
  address a = address::parse(host_port);
  const std::string what = "goro::net: listen " + std::string(host_port);
  int fd = new_socket(a.family(), what);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, a.data(), a.size()) != 0 || ::listen(fd, backlog) != 0) {
    int err = errno;
    ::close(fd);
    throw std::system_error(err, std::system_category(), what);
  }
  return listener(new net_fd(fd, "listener", local_of(fd), address{}));
}

stream dial(std::string_view host_port, std::chrono::nanoseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  address a = address::resolve(host_port);
  int fd = new_socket(a.family(), "goro::net: dial " + std::string(host_port));
  set_nodelay(fd);
  auto* f = new net_fd(fd, "stream", address{}, a);
  stream s(f);
  fd_call call(f, "dial");
  const auto rc = detail::sys::connect(fd, a.data(), a.size());  // E1
  if (rc.n != 0 && rc.err != EINPROGRESS && rc.err != EINTR)
    detail::throw_net_error(f, "dial", rc.err);
  if (rc.n != 0) {
    if (timeout != std::chrono::nanoseconds::max())
      s.set_write_deadline(start + std::chrono::ceil<std::chrono::steady_clock::duration>(timeout));
    for (;;) {
      detail::wait_or_throw(f, io_mode::write, "dial");
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0 || err == EISCONN) {
        // The poller may report a socket that is not connected yet (a hang-up of the
        // fresh socket): connected only if it has a peer.
        sockaddr_storage peer{};
        socklen_t plen = sizeof peer;
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen) == 0) break;
        continue;
      }
      if (err != EINPROGRESS && err != EALREADY && err != EINTR)
        detail::throw_net_error(f, "dial", err);
    }
    s.set_write_deadline(no_deadline);
  }
  f->local = local_of(fd);
  return s;
}

}  // namespace goro::net
