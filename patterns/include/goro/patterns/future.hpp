// goro::patterns::promise / future: a value that one fiber sets and others wait for,
// fiber-aware (get() parks a fiber, blocks a thread), with continuations (then() runs a
// function on a fiber of its own once the value is there, giving a future of its result).
// Exceptions travel: set_exception() or a throwing continuation makes get() rethrow.
// ready() is a channel closed when the value (or exception) is set, for select.
// A continuation costs no fiber until the value is there. A promise dropped unset (its
// last copy destroyed) sets promise_error("broken promise"), so nothing waits forever for
// a value nobody can set. when_all() gathers several futures into one.
// Problem: callback-style code ("when this finishes, do that") without blocking threads,
// and a result awaited by several fibers.
//
//   goro::patterns::promise<int> p;
//   auto f = p.get_future().then([](int x) { return x * 2; });
//   goro::go([p] () mutable { p.set_value(21); });
//   int v = f.get();   // 42
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

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
  std::mutex mu;  // guards the four below; value and error are read-only once `ready` closes
  std::optional<T> value;
  std::exception_ptr error;
  bool set = false;
  std::vector<std::function<void()>> continuations;  // started (each on a fiber) at set
  chan<std::monostate> ready{0};                     // closed once set

  // Sets the value (or the exception); false if it was set already.
  template <class Set>
  bool settle(Set set_it) {
    std::vector<std::function<void()>> run;
    {
      std::lock_guard g(mu);
      if (set) return false;
      set_it(*this);
      set = true;
      run.swap(continuations);
    }
    ready.close();  // publishes the value: readers wait for this close
    for (auto& c : run) goro::go(std::move(c));
    return true;
  }
};
}  // namespace detail

// Thrown by a second set_value / set_exception (Go would panic on a double close), and
// by get() when every copy of the promise was dropped unset ("broken promise").
struct promise_error : goro::error {
  using goro::error::error;
};

template <class T>
class promise {
 public:
  promise() : o_(std::make_shared<owner>()) {}
  future<T> get_future() const { return future<T>(o_->s); }
  void set_value(T v) {
    if (!o_->s->settle([&](auto& s) { s.value.emplace(std::move(v)); }))
      throw promise_error("goro: promise already satisfied");
  }
  void set_exception(std::exception_ptr e) {
    if (!o_->s->settle([&](auto& s) { s.error = std::move(e); }))
      throw promise_error("goro: promise already satisfied");
  }

 private:
  // Shared by the promise's copies; the last one to go breaks an unset promise.
  struct owner {
    std::shared_ptr<detail::shared_state<T>> s = std::make_shared<detail::shared_state<T>>();
    owner() = default;
    owner(const owner&) = delete;
    owner& operator=(const owner&) = delete;
    ~owner() {
      s->settle([](auto& st) {
        st.error = std::make_exception_ptr(promise_error("goro: broken promise"));
      });
    }
  };
  std::shared_ptr<owner> o_;
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
    std::function<void()> run = [self = *this, next, fn = std::move(fn)]() mutable {
      try {
        next.set_value(fn(self.get()));  // ready: get() does not wait
      } catch (...) {
        next.set_exception(std::current_exception());
      }
    };
    std::unique_lock g(s_->mu);
    if (s_->set) {
      g.unlock();
      goro::go(std::move(run));
    } else {
      s_->continuations.push_back(std::move(run));
    }
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

// A future of every value, in the order given, once all are there; the exception of the
// first one (in that order) that failed, if any. One fiber waits for them all.
template <class T>
future<std::vector<T>> when_all(std::vector<future<T>> fs) {
  return async([fs = std::move(fs)] {
    std::vector<T> values;
    values.reserve(fs.size());
    for (auto& f : fs) values.push_back(f.get());
    return values;
  });
}

}  // namespace goro::patterns
