// goro::context: Go's context.Context. Cancellation, deadlines and request-scoped values
// that flow down a tree of calls and fibers. A context is a cheap copyable handle; the
// default one is background(): never done, no deadline, no values.
//   with_cancel(parent)           a child that ends when its cancel function is called
//   with_deadline(parent, t)      ... or at t (deadline_exceeded)
//   with_timeout(parent, d)       ... or d from now
//   with_value(parent, key, v)    a child that carries v under key (typed keys)
// A context ends when it is cancelled, when its deadline passes, or when its parent ends
// (with the parent's error and cause): cancellation reaches every descendant. done() is a
// channel that is closed when the context ends, for select; err() says why
// (context_error::canceled or deadline_exceeded), cause() in words. Call the cancel
// function when the work is finished, as in Go: it unlinks the child from its parent and
// stops its timer (dropping every handle does too).
// stop_token() is a std::stop_token that is stopped when the context ends: pass it to the
// runtime's blocking calls that take one (wait_group::wait, the net streams' reads, writes
// and accept) to make them return early, or register a std::stop_callback on it.
//
//   auto [ctx, cancel] = goro::with_timeout(goro::context{}, 100ms);
//   goro::select(goro::recv(results, use),
//                goro::recv(ctx.done(), [&](auto) { log(ctx.cause()); }));
//   cancel();
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

#include <goro/chan.hpp>
#include <goro/clock.hpp>
#include <goro/wait_group.hpp>

namespace goro {

enum class context_error { canceled = 1, deadline_exceeded = 2 };
const std::error_category& context_category() noexcept;
inline std::error_code make_error_code(context_error e) noexcept {
  return {static_cast<int>(e), context_category()};
}

// A typed key for with_value(). Keys compare by identity (their address), as Go's
// unexported key types do: declare one per kind of value, e.g. a static.
template <class T>
class context_key {
 public:
  explicit constexpr context_key(const char* name) noexcept : name_(name) {}
  context_key(const context_key&) = delete;
  context_key& operator=(const context_key&) = delete;
  const char* name() const noexcept { return name_; }

 private:
  const char* name_;
};

namespace detail {
struct ctx_node;
}

class cancel_func;

class context {
 public:
  context() noexcept = default;  // background
  static context background() noexcept { return {}; }

  // Closed when the context ends; a nil channel (never ready) for background().
  recv_chan<std::monostate> done() const;
  // {} while active, then context_error::canceled or context_error::deadline_exceeded.
  std::error_code err() const;
  // Why it ended: the text given to cancel ("context canceled" by default), "context
  // deadline exceeded", or the ancestor's cause. Empty while active.
  std::string cause() const;
  // The earliest deadline on the way to the root, if any.
  std::optional<std::chrono::steady_clock::time_point> deadline() const;
  bool is_done() const { return static_cast<bool>(err()); }
  // Stopped when the context ends (at once if it has); never, for background().
  std::stop_token stop_token() const;

  // The value of the nearest ancestor (or this context) that carries `key`; nullptr if none.
  template <class T>
  const T* value(const context_key<T>& key) const {
    return static_cast<const T*>(find_value(&key));
  }

 private:
  friend struct detail::ctx_node;
  friend std::pair<context, cancel_func> with_cancel(const context&);
  friend std::pair<context, cancel_func> with_deadline(const context&,
                                                       std::chrono::steady_clock::time_point);
  template <class T, class V>
  friend context with_value(const context&, const context_key<T>&, V&&);
  static context with_value_erased(const context& parent, const void* key,
                                   std::shared_ptr<const void> value);
  const void* find_value(const void* key) const;

  explicit context(std::shared_ptr<detail::ctx_node> n) noexcept : n_(std::move(n)) {}
  std::shared_ptr<detail::ctx_node> n_;
};

// Ends its context (and every descendant) with context_error::canceled. Idempotent; safe
// from any fiber or thread.
class cancel_func {
 public:
  cancel_func() noexcept = default;
  void operator()(std::string cause = "context canceled") const;

 private:
  friend std::pair<context, cancel_func> with_cancel(const context&);
  friend std::pair<context, cancel_func> with_deadline(const context&,
                                                       std::chrono::steady_clock::time_point);
  explicit cancel_func(std::shared_ptr<detail::ctx_node> n) noexcept : n_(std::move(n)) {}
  std::shared_ptr<detail::ctx_node> n_;
};

std::pair<context, cancel_func> with_cancel(const context& parent);
std::pair<context, cancel_func> with_deadline(const context& parent,
                                              std::chrono::steady_clock::time_point deadline);
template <class Rep, class Period>
std::pair<context, cancel_func> with_timeout(const context& parent,
                                             std::chrono::duration<Rep, Period> d) {
  return with_deadline(parent, detail::deadline_after(d));  // saturated: max never ends it
}

template <class T, class V>
context with_value(const context& parent, const context_key<T>& key, V&& value) {
  return context::with_value_erased(parent, &key,
                                    std::make_shared<const T>(std::forward<V>(value)));
}

// Sleeps for d, or until ctx ends: returns {} after the full sleep, else ctx.err().
std::error_code sleep_for(const context& ctx, std::chrono::nanoseconds d);
// Waits for wg to reach zero, or until ctx ends: returns {} at zero, else ctx.err().
std::error_code wait(const context& ctx, wait_group& wg);

}  // namespace goro

template <>
struct std::is_error_code_enum<goro::context_error> : std::true_type {};
