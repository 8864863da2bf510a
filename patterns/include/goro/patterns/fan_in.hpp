// goro::patterns fan-in and friends: merge (many channels into one), tee (one channel into
// two that both see every value) and bridge (a channel of channels read as one sequence).
// Each closes its output once its inputs are drained or its context ends; no fiber is left
// behind either way.
// Problem: results arrive on several channels (one per worker) and one reader wants them
// all; or one stream must feed two consumers; or a producer hands out a new channel per
// batch.
//
//   std::vector<goro::recv_chan<int>> parts{worker(ctx, 1), worker(ctx, 2), worker(ctx, 3)};
//   for (int v : goro::patterns::merge(ctx, parts)) use(v);   // every value, any order
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include <goro/patterns/pipeline.hpp>
#include <goro/wait_group.hpp>

namespace goro::patterns {

// Every value of every input on one channel (in arrival order), closed when all inputs are
// drained or ctx ends.
template <class T>
recv_chan<T> merge(spawn_target at, std::vector<recv_chan<T>> inputs) {
  const context& ctx = at.ctx();
  chan<T> out(0);
  auto pending = std::make_shared<wait_group>();
  pending->add(static_cast<std::int64_t>(inputs.size()));
  for (auto& in : inputs) {
    at.go([ctx, in, out, pending] {
      while (auto v = recv_or_done(ctx, in))
        if (!send_or_done(ctx, out, std::move(*v))) break;
      pending->done();
    });
  }
  at.go([out, pending] {  // closes once every forwarder has ended
    pending->wait();
    out.close();
  });
  return out;
}

// Two channels that each receive every value of in, in order; a value is handed to both
// before the next is read (the slower reader sets the pace).
template <class T>
std::pair<recv_chan<T>, recv_chan<T>> tee(spawn_target at, recv_chan<T> in) {
  const context& ctx = at.ctx();
  chan<T> a(0), b(0);
  at.go([ctx, in, a, b] {
    // Hands v to both, in whichever order they are ready (a sent case's channel is made
    // nil, which disables it); false if ctx ended first.
    auto to_both = [&](const T& v) {
      chan<T> to_a = a, to_b = b;
      for (int sent = 0; sent < 2; ++sent)
        if (goro::select(goro::send(to_a, v, [&] { to_a = chan<T>(); }),
                         goro::send(to_b, v, [&] { to_b = chan<T>(); }),
                         goro::recv(ctx.done())) == 2)
          return false;
      return true;
    };
    while (auto v = recv_or_done(ctx, in))
      if (!to_both(*v)) break;
    a.close();
    b.close();
  });
  return {a, b};
}

// The values of each channel received from `chans`, one channel after the other, on one
// channel; closed when `chans` is drained (and its last channel too) or ctx ends.
template <class T>
recv_chan<T> bridge(spawn_target at, recv_chan<recv_chan<T>> chans) {
  const context& ctx = at.ctx();
  chan<T> out(0);
  at.go([ctx, chans, out] {
    auto drain = [&](const recv_chan<T>& stream) {  // false if ctx ended
      while (auto v = recv_or_done(ctx, stream))
        if (!send_or_done(ctx, out, std::move(*v))) return false;
      return !ctx.is_done();
    };
    while (auto stream = recv_or_done(ctx, chans))
      if (!drain(*stream)) break;
    out.close();
  });
  return out;
}

}  // namespace goro::patterns
