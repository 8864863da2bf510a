// goro::patterns pipeline pieces (Go's "pipelines and cancellation"): a stage that maps
// one channel into another on its own fiber, and or_done, which ends a read loop when a
// context ends. Every stage closes its output when its input is drained or its context
// ends, so a whole pipeline winds down by itself and leaves no fiber behind.
// Every pattern's first argument says where its fibers run (spawn_target.hpp): given a context,
// they are detached and end shortly after it ends; given a goro::scope, they are the
// scope's, and its wait() returns once all of them have ended.
// Problem: a chain of fibers connected by channels must not leak a fiber when a consumer
// stops early, and each link must say "no more values" (close) exactly once.
//
//   auto nums = goro::patterns::generate<int>(ctx, [](auto emit) { for (int i = 0;; ++i) if
//   (!emit(i)) return; }); auto squares = goro::patterns::stage(ctx, nums, [](int x) { return x *
//   x; }); for (int s : squares) if (s > 100) { cancel(); break; }   // every fiber then ends
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include <goro/chan.hpp>
#include <goro/context.hpp>
#include <goro/patterns/spawn_target.hpp>
#include <goro/select.hpp>
#include <goro/spawn.hpp>

namespace goro::patterns {

// Sends v on out unless ctx ends first; false if it ended (the value is dropped).
template <class T>
bool send_or_done(const context& ctx, const chan<T>& out, T v) {
  return goro::select(goro::send(out, std::move(v)), goro::recv(ctx.done())) == 0;
}

// The next value of in, or empty when in is drained or ctx ends.
template <class T>
std::optional<T> recv_or_done(const context& ctx, const recv_chan<T>& in) {
  std::optional<T> got;
  goro::select(goro::recv(in, [&](std::optional<T> v) { got = std::move(v); }),
               goro::recv(ctx.done()));
  return got;
}

// Closes a pattern's output channel when its fiber ends, by return or by exception.
template <class T>
struct closes_on_exit {
  chan<T> c;
  ~closes_on_exit() { c.close(); }
};

// A channel with in's values that is closed when in is drained or ctx ends.
template <class T>
recv_chan<T> or_done(spawn_target at, recv_chan<T> in) {
  const context& ctx = at.ctx();
  chan<T> out(0);
  at.go([ctx, in, out] {
    while (auto v = recv_or_done(ctx, in))
      if (!send_or_done(ctx, out, std::move(*v))) break;
    out.close();
  });
  return out;
}

// f applied to every value of in, on a fiber of its own; the output (buffered `capacity`)
// is closed when in is drained or ctx ends, or when f throws (the exception then goes on:
// to the scope, which cancels its context, or, detached, it ends the program).
template <class T, class Fn, class U = std::invoke_result_t<Fn&, T>>
recv_chan<U> stage(spawn_target at, recv_chan<T> in, Fn f, std::size_t capacity = 0) {
  const context& ctx = at.ctx();
  chan<U> out(capacity);
  at.go([ctx, in, out, f = std::move(f)]() mutable {
    closes_on_exit<U> closer{out};
    while (auto v = recv_or_done(ctx, in))
      if (!send_or_done(ctx, out, f(std::move(*v)))) break;
  });
  return out;
}

}  // namespace goro::patterns
