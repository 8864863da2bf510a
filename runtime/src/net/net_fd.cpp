// net_fd: a socket's descriptor, poll_desc and call references (NF1, NF2 in net_fd.hpp).
#include "net_fd.hpp"

#include <cerrno>
#include <system_error>

#include <unistd.h>

#include <goro/net/tcp.hpp>

namespace goro::detail {

net_fd::net_fd(int f, const char* k, net::address l, net::address p)
    : fd(f), kind(k), local(l), peer(p) {
  try {
    pd = netpoll_open(fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
}

void net_fd::close() noexcept {
  bool expected = false;
  // seq_cst: NF1's Dekker with fd_call (reference, then closing).
  if (!closing.compare_exchange_strong(expected, true, std::memory_order_seq_cst)) return;
  netpoll_close(pd);  // blocked calls wake and see closed
  release();          // the open reference
}

bool net_fd::acquire() noexcept {
  std::uint32_t v = ops.load(std::memory_order_seq_cst);
  do {
    if (v == 0) return false;  // finalized: never revived (NF1)
  } while (!ops.compare_exchange_weak(v, v + 1, std::memory_order_seq_cst));
  if (closing.load(std::memory_order_seq_cst)) {  // NF1: reference first, then closing
    release();
    return false;
  }
  return true;
}

void net_fd::release() noexcept {
  // acq_rel: the last one sees every call's use of fd before closing it.
  if (ops.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  ::close(fd);
  netpoll_free(pd);  // NF2: the object outlives this (refs is not 0 while ops was not)
}

void net_fd::ref() noexcept {
  // relaxed: the caller holds a reference (its handle's), so refs is not 0 and nothing is
  // published by taking one; as std::shared_ptr's copy.
  refs.fetch_add(1, std::memory_order_relaxed);
}

void net_fd::unref() noexcept {
  // acq_rel: the last one sees every other holder's use of the object before deleting it;
  // as std::shared_ptr's release.
  if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;  // keeps NF2
}

void drop_handle(net_fd* f) noexcept {
  if (!f) return;
  f->close();  // NF2: the open reference (NF1) goes first
  f->unref();
}

fd_handle& fd_handle::operator=(fd_handle&& o) noexcept {
  if (this != &o) drop_handle(std::exchange(fd_, std::exchange(o.fd_, nullptr)));
  return *this;
}

// NF2: calls in flight keep the net_fd; they end with "use of closed stream" (listener,
// socket).
fd_handle::~fd_handle() { drop_handle(fd_); }

void fd_handle::close() noexcept {
  if (fd_) fd_->close();
}

fd_call::fd_call(net_fd* f, const char* op) : f_(f) {
  if (!f)
    throw std::system_error(EBADF, std::generic_category(),
                            std::string("goro::net: ") + op + ": not open");
  f->ref();  // NF2: the call keeps the object even if its handle goes
  if (!f->acquire()) {
    std::string what = net_context(f, op) + ": use of closed " + f->kind;
    f->unref();
    throw std::system_error(EBADF, std::generic_category(), what);
  }
}

std::string net_context(const net_fd* f, const char* op) {
  const net::address& a = f->peer ? f->peer : f->local;
  return std::string("goro::net: ") + op + " " + (a ? a.to_string() : std::string("?"));
}

void throw_net_error(const net_fd* f, const char* op, int err) {
  throw std::system_error(err, std::system_category(), net_context(f, op));
}

void throw_wait_error(const net_fd* f, const char* op, io_wait w) {
  if (w == io_wait::timeout) throw net::timeout_error(net_context(f, op));
  if (w == io_wait::stopped) throw net::canceled_error(net_context(f, op));
  throw std::system_error(EBADF, std::generic_category(),
                          net_context(f, op) + ": use of closed " + f->kind);
}

stop_watch::stop_watch(net_fd* f, io_mode mode, std::stop_token st) : f_(f), mode_(mode) {
  if (st.stop_possible()) cb_.emplace(std::move(st), wake{this});  // may run wake() now
}

void stop_watch::wake::operator()() const noexcept {
  // seq_cst: the waiter publishes `waiting` and then loads the flag; we store the flag and
  // then look for the waiter (netpoll_interrupt). One of the two sees the other.
  w->stopped_.store(true, std::memory_order_seq_cst);
  netpoll_interrupt(w->f_->pd, w->mode_);
}

void check_or_throw(net_fd* f, io_mode mode, const char* op, const std::atomic<bool>* stop) {
  io_wait w = netpoll_check(f->pd, mode);
  if (w == io_wait::ready && stop && stop->load(std::memory_order_seq_cst)) w = io_wait::stopped;
  if (w != io_wait::ready) throw_wait_error(f, op, w);
}

void wait_or_throw(net_fd* f, io_mode mode, const char* op, const std::atomic<bool>* stop) {
  io_wait w = netpoll_wait(f->pd, mode, stop);
  if (w != io_wait::ready) throw_wait_error(f, op, w);
}

void set_deadline(net_fd* f, io_mode mode, std::chrono::steady_clock::time_point t) noexcept {
  if (!f) return;
  // No NF2 reference, unlike a call: this one never parks, and its caller's handle, alive
  // for the call as for any member function, holds one. The NF1 one keeps the poll_desc.
  if (f->acquire()) {
    std::int64_t ns = -1;
    if (t != std::chrono::steady_clock::time_point::max()) {
      ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
      if (ns < 0) ns = 0;
    }
    netpoll_set_deadline(f->pd, mode, ns);
    f->release();
  }
}

}  // namespace goro::detail
