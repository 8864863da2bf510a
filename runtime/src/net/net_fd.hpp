// Internal. net_fd: a socket registered with the poller, shared by its handle (stream,
// listener, udp_socket) and the calls in flight on it (Go's netFD with its fdMutex, reduced
// to two reference counts: Go's garbage collector keeps the netFD alive, here NF2 does).
// NF1: ops counts the open reference plus every call in progress. A call takes a reference
//      only while ops is not 0 (once 0, the descriptor is gone for good) and then checks
//      `closing` (seq_cst, both); close() sets `closing` and then drops the open reference.
//      Whoever drops the last one closes the descriptor and frees the poll_desc, exactly
//      once, so no call ever uses a descriptor number the kernel has reused.
// NF2: refs counts the handle plus every call in progress (fd_call); whoever drops the last
//      one deletes the net_fd. A handle closes (drops its NF1 reference) before it drops its
//      NF2 one, and a call drops its NF1 reference before its NF2 one: refs reaches 0 only
//      after ops did, so the descriptor is closed and the poll_desc freed before the object
//      goes. A call in flight outlives its handle: it uses only its own net_fd pointer, never
//      the handle's (which may be destroyed while the call is parked), and ends with its
//      error ("use of closed stream").
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>

#include <goro/net/address.hpp>

#include "net/netpoll.hpp"

namespace goro::detail {

struct net_fd {
  int fd = -1;
  poll_desc* pd = nullptr;
  std::atomic<std::uint32_t> ops{1};   // NF1
  std::atomic<std::uint32_t> refs{1};  // NF2: the handle's reference
  std::atomic<bool> closing{false};    // NF1
  const char* kind;                    // "stream", "listener", "socket": for messages
  net::address local, peer;            // for messages and accessors

  // Registers a non-blocking socket with the poller (closes it and throws on failure).
  net_fd(int fd, const char* kind, net::address local, net::address peer);
  net_fd(const net_fd&) = delete;
  net_fd& operator=(const net_fd&) = delete;

  // Any fiber or thread, any number of times: the first marks it closing, wakes the calls
  // parked on it and drops the open reference (NF1).
  void close() noexcept;
  bool acquire() noexcept;  // takes an NF1 reference; false if closing or closed
  void release() noexcept;  // drops an NF1 reference; the last closes the descriptor
  void ref() noexcept;      // takes an NF2 reference; the caller holds one already
  void unref() noexcept;    // drops an NF2 reference; the last deletes this object

 private:
  ~net_fd() = default;  // only unref() deletes (NF2)
};

// The end of a handle's hold on f (its destructor, or a move assignment over it): closes
// f and drops the handle's reference (NF2). The handle must not touch f afterwards. f may
// be nullptr (a moved-from handle).
void drop_handle(net_fd* f) noexcept;

// A call's references to a net_fd (NF1 and NF2), taken from a live handle's pointer. Throws
// "use of closed <kind>" if it is closing. The call uses get(), never its handle's
// pointer: the handle may be destroyed while the call is parked (NF2).
class fd_call {
 public:
  fd_call(net_fd* f, const char* op);
  ~fd_call() {
    f_->release();  // NF2: the NF1 reference first
    f_->unref();
  }
  fd_call(const fd_call&) = delete;
  fd_call& operator=(const fd_call&) = delete;
  net_fd* get() const noexcept { return f_; }

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
// may serve another one by now. f: a live handle's pointer, or nullptr (ignored).
void set_deadline(net_fd* f, io_mode mode, std::chrono::steady_clock::time_point t) noexcept;

}  // namespace goro::detail
