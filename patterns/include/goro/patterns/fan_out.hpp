// goro::patterns::fan_out: a bounded worker pool over a channel (Go's fan-out). `workers`
// fibers take values from in and apply f; results come out on one channel, either as they
// finish (unordered, the default) or in the order of the inputs (ordered: a result waits
// until those before it are out). The output is closed once in is drained and every worker
// has finished, or ctx ends; no fiber is left behind.
// Problem: an expensive step over a stream, spread over several fibers without unbounded
// spawning, with results collected by one reader.
//
//   auto sizes = goro::patterns::fan_out(ctx, urls, 8, [](std::string u) { return fetch(u).size();
//   },
//                                        goro::patterns::order::kept);
//   for (auto s : sizes) total += s;
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <type_traits>
#include <utility>

#include <goro/patterns/pipeline.hpp>
#include <goro/wait_group.hpp>

namespace goro::patterns {

enum class order { any, kept };

// A worker's done() on the workers' wait_group when it ends, by return or by exception.
struct counts_down {
  std::shared_ptr<wait_group> wg;
  ~counts_down() { wg->done(); }
};

template <class T, class Fn, class U = std::invoke_result_t<Fn&, T>>
recv_chan<U> fan_out(spawn_target at, recv_chan<T> in, int workers, Fn f, order o = order::any) {
  const context& ctx = at.ctx();
  chan<U> out(0);
  auto running = std::make_shared<wait_group>();
  running->add(workers);
  if (o == order::any) {
    for (int w = 0; w < workers; ++w) {
      at.go([ctx, in, out, f, running]() mutable {
        counts_down finished{running};  // also when f throws
        while (auto v = recv_or_done(ctx, in))
          if (!send_or_done(ctx, out, f(std::move(*v)))) break;
      });
    }
    at.go([out, running] {
      running->wait();
      out.close();
    });
    return out;
  }
  // order::kept: number the inputs, let the workers finish in any order, and release the
  // results by number.
  chan<std::pair<std::uint64_t, T>> numbered(0);
  chan<std::pair<std::uint64_t, U>> done(0);
  at.go([ctx, in, numbered] {
    std::uint64_t seq = 0;
    while (auto v = recv_or_done(ctx, in))
      if (!send_or_done(ctx, numbered, std::pair{seq++, std::move(*v)})) break;
    numbered.close();
  });
  for (int w = 0; w < workers; ++w) {
    at.go([ctx, numbered, done, f, running]() mutable {
      counts_down finished{running};  // also when f throws
      recv_chan<std::pair<std::uint64_t, T>> from = numbered;
      while (auto v = recv_or_done(ctx, from))
        if (!send_or_done(ctx, done, std::pair{v->first, f(std::move(v->second))})) break;
    });
  }
  at.go([done, running] {
    running->wait();
    done.close();
  });
  at.go([ctx, done, out] {
    std::map<std::uint64_t, U> early;  // results that finished before their turn
    std::uint64_t next = 0;
    recv_chan<std::pair<std::uint64_t, U>> from = done;
    bool open = true;
    while (open) {
      auto r = recv_or_done(ctx, from);
      if (!r) break;
      early.emplace(r->first, std::move(r->second));
      for (auto it = early.find(next); it != early.end(); it = early.find(++next)) {
        if (!send_or_done(ctx, out, std::move(it->second))) {
          open = false;
          break;
        }
        early.erase(it);
      }
    }
    out.close();  // workers still sending see ctx ended (send_or_done) and stop
  });
  return out;
}

}  // namespace goro::patterns
