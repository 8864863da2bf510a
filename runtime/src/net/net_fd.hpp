// Internal. net_fd: a socket registered with the poller, shared by the calls in flight on
// it (Go's netFD with its fdMutex, reduced to a reference count).
// S1: ops counts the open reference plus every call in progress. A call takes a reference
//     only while ops is not 0 (once 0, the descriptor is gone for good) and then checks
//     `closing` (seq_cst, both); close() sets `closing` and then drops the open reference.
//     Whoever drops the last one closes the descriptor and frees the poll_desc, exactly
//     once, so no call ever uses a descriptor number the kernel has reused.
// S2: the net_fd object itself belongs to its stream or listener and dies with it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>

#include <goro/net/address.hpp>

#include "netpoll.hpp"

namespace goro::detail {

struct net_fd {
  int fd = -1;
  poll_desc* pd = nullptr;
  std::atomic<std::uint32_t> ops{1};   // S1
  std::atomic<bool> closing{false};    // S1
  net::address local, peer;            // for messages and accessors

  // Registers a non-blocking socket with the poller (closes it and throws on failure).
  net_fd(int fd, net::address local, net::address peer);
  net_fd(const net_fd&) = delete;
  net_fd& operator=(const net_fd&) = delete;

  void close() noexcept;
  bool acquire() noexcept;  // takes a reference; false if closing or closed (S1)
  void release() noexcept;  // drops one reference (S1)
};

// A call's reference to a net_fd (S1). Throws "use of closed ..." if it is closing.
class fd_call {
 public:
  fd_call(net_fd* f, const char* op);
  ~fd_call() { f_->release(); }
  fd_call(const fd_call&) = delete;
  fd_call& operator=(const fd_call&) = delete;

 private:
  net_fd* f_;
};

// "goro::net: <op> <peer or local address>".
std::string net_context(const net_fd* f, const char* op);
// Throws the error for errno value `err` of operation `op`.
[[noreturn]] void throw_net_error(const net_fd* f, const char* op, int err);
// Throws for a wait that did not end in readiness.
[[noreturn]] void throw_wait_error(const net_fd* f, const char* op, io_wait w);
// A call's watch over a std::stop_token: once a stop is requested, flag() reads true and
// the call's wait on f for `mode` is interrupted (it ends with net::canceled_error).
// flag() is nullptr for a token that can never be stopped. Lives on the caller's stack,
// inside the call's fd_call (the callback uses f->pd); its destructor waits for a callback
// running on another thread, so nothing touches it after the call returns.
class stop_watch {
 public:
  stop_watch(net_fd* f, io_mode mode, std::stop_token st);
  stop_watch(const stop_watch&) = delete;
  stop_watch& operator=(const stop_watch&) = delete;
  const std::atomic<bool>* flag() const noexcept { return cb_ ? &stopped_ : nullptr; }

 private:
  struct wake {
    stop_watch* w;
    void operator()() const noexcept;
  };
  net_fd* f_;
  io_mode mode_;
  std::atomic<bool> stopped_{false};
  std::optional<std::stop_callback<wake>> cb_;  // last: runs (and is removed) first
};

// Before an operation: throws if f is closed, the deadline for `mode` passed or *stop.
void check_or_throw(net_fd* f, io_mode mode, const char* op,
                    const std::atomic<bool>* stop = nullptr);
// Waits until `mode` may be ready; throws on a deadline, a close or a stop.
void wait_or_throw(net_fd* f, io_mode mode, const char* op,
                   const std::atomic<bool>* stop = nullptr);
// Sets a deadline (time_point::max(): none). Ignored on a closed descriptor: its poll_desc
// may serve another one by now.
void set_deadline(net_fd* f, io_mode mode, std::chrono::steady_clock::time_point t) noexcept;

}  // namespace goro::detail
