// goro::patterns::generate: a generator (Go's generator pattern). fn produces values by
// calling emit(v); each emit waits until a reader takes the value (an unbuffered channel),
// so values are produced only as fast as they are read, and emit returns false once ctx
// ends: the producer then returns and the channel is closed. No fiber is left behind when
// the reader stops early, provided it cancels ctx.
// Problem: an endless or expensive sequence read lazily by another fiber, stopped cleanly.
//
//   auto [ctx, cancel] = goro::with_cancel(parent);
//   auto fib = goro::patterns::generate<long>(ctx, [](auto emit) {
//     for (long a = 0, b = 1; emit(a); a = std::exchange(b, a + b)) {}
//   });
//   for (long v : fib) if (v > 1000) break;   // then cancel(): the producer ends
#pragma once

#include <utility>

#include <goro/patterns/pipeline.hpp>

namespace goro::patterns {

template <class T, class Fn>
recv_chan<T> generate(spawn_target at, Fn fn) {
  const context& ctx = at.ctx();
  chan<T> out(0);
  at.go([ctx, out, fn = std::move(fn)]() mutable {
    closes_on_exit<T> closer{out};  // also when fn throws
    fn([&](T v) { return send_or_done(ctx, out, std::move(v)); });
  });
  return out;
}

}  // namespace goro::patterns
