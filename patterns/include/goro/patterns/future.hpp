// goro::patterns::promise / future: a value that one fiber sets and others wait for,
// fiber-aware (get() parks a fiber, blocks a thread), with continuations (then() runs a
// function on a fiber of its own once the value is there, giving a future of its result).
// Exceptions travel: set_exception() or a throwing continuation makes get() rethrow.
// ready() is a channel closed when the value (or exception) is set, for select.
// Problem: callback-style code ("when this finishes, do that") without blocking threads,
// and a result awaited by several fibers.
//
//   goro::patterns::promise<int> p;
//   auto f = p.get_future().then([](int x) { return x * 2; });
//   goro::go([p] () mutable { p.set_value(21); });
//   int v = f.get();   // 42
#pragma once

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include <goro/chan.hpp>
#include <goro/error.hpp>
#include <goro/select.hpp>
#include <goro/spawn.hpp>

namespace goro::patterns {

template <class T>
class future;

namespace detail {
template <class T>
struct shared_state {
  std::mutex mu;  // guards value and error until `ready` is closed; read-only after
  std::optional<T> value;
  std::exception_ptr error;
  bool set = false;
  chan<std::monostate> ready{0};  // closed once set
};
}  // namespace detail

// Thrown by a second set_value / set_exception (Go would panic on a double close).
struct promise_error : goro::error {
  using goro::error::error;
};

template <class T>
class promise {
 public:
  promise() : s_(std::make_shared<detail::shared_state<T>>()) {}
  future<T> get_future() const { return future<T>(s_); }
  void set_value(T v) {
    {
      std::lock_guard g(s_->mu);
      if (s_->set) throw promise_error("goro: promise already satisfied");
      s_->value.emplace(std::move(v));
      s_->set = true;
    }
    s_->ready.close();  // publishes the value: readers wait for this close
  }
  void set_exception(std::exception_ptr e) {
    {
      std::lock_guard g(s_->mu);
      if (s_->set) throw promise_error("goro: promise already satisfied");
      s_->error = std::move(e);
      s_->set = true;
    }
    s_->ready.close();
  }

 private:
  std::shared_ptr<detail::shared_state<T>> s_;
};

template <class T>
class future {
 public:
  future() = default;
  // Closed once the value or the exception is set.
  recv_chan<std::monostate> ready() const { return s_->ready; }
  // Waits for the value (a scheduling point); rethrows the exception. May be called again
  // and from several fibers: each gets a copy.
  T get() const {
    goro::select(goro::recv(s_->ready));
    std::lock_guard g(s_->mu);
    if (s_->error) std::rethrow_exception(s_->error);
    return *s_->value;
  }
  // A future of fn(value), computed on a fiber of its own once the value is there; an
  // exception (ours or fn's) passes to the new future.
  template <class Fn, class U = std::invoke_result_t<Fn&, T>>
  future<U> then(Fn fn) const {
    promise<U> next;
    goro::go([self = *this, next, fn = std::move(fn)]() mutable {
      try {
        next.set_value(fn(self.get()));
      } catch (...) {
        next.set_exception(std::current_exception());
      }
    });
    return next.get_future();
  }

 private:
  friend class promise<T>;
  explicit future(std::shared_ptr<detail::shared_state<T>> s) : s_(std::move(s)) {}
  std::shared_ptr<detail::shared_state<T>> s_;
};

// Runs fn on a fiber; its result (or exception) in a future (Go: a goroutine and a channel).
template <class Fn, class U = std::invoke_result_t<Fn&>>
future<U> async(Fn fn) {
  promise<U> p;
  goro::go([p, fn = std::move(fn)]() mutable {
    try {
      p.set_value(fn());
    } catch (...) {
      p.set_exception(std::current_exception());
    }
  });
  return p.get_future();
}

}  // namespace goro::patterns
