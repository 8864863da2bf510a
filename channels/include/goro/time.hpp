// Time as channels (Go's time.After, time.Tick and time.Ticker), for select.
//   goro::after(d)    a channel that receives the time once, d from now
//   goro::tick(d)     a channel that receives the time every d, for as long as anyone
//                     holds a handle to it
//   goro::ticker t(d) the same with stop() (and a stop when t is destroyed)
// A tick is dropped when the previous one has not been received yet (the channel holds
// one), as in Go: a slow reader sees fewer ticks, never a backlog. The timers run on the
// runtime's per-processor timer heaps; while one is pending, the deadlock report stays
// silent. Timers still pending at shutdown are abandoned (and their memory with them).
// In a select, goro::timeout(d) is cheaper than recv(after(d)): its timer lives on the
// select's stack and is removed as soon as the select returns.
//
//   auto tick = goro::tick(100ms);
//   auto stop = goro::after(1s);
//   for (bool done = false; !done;)
//     goro::select(goro::recv(tick, [](auto t) { fmt::print("tick\n"); }),
//                  goro::recv(stop, [&](auto) { done = true; }));
#pragma once

#include <chrono>
#include <cstdint>
#include <utility>

#include <goro/chan.hpp>

namespace goro {

using time_point = std::chrono::steady_clock::time_point;

namespace detail {
struct tick_state;
recv_chan<time_point> after_ns(std::int64_t ns);
tick_state* tick_start(std::int64_t period_ns, chan<time_point> c, bool owned);
void tick_stop(tick_state* s) noexcept;
std::int64_t checked_period(std::chrono::nanoseconds d);  // throws goro::option_error
}  // namespace detail

// A channel that receives the time once, `d` from now (at once if d <= 0).
template <class Rep, class Period>
recv_chan<time_point> after(std::chrono::duration<Rep, Period> d) {
  return detail::after_ns(std::chrono::ceil<std::chrono::nanoseconds>(d).count());
}

// A channel that receives the time every `d` (> 0, else goro::option_error). Ticking stops
// once no handle to the channel is left but the timer's own.
template <class Rep, class Period>
recv_chan<time_point> tick(std::chrono::duration<Rep, Period> d) {
  chan<time_point> c(1);
  detail::tick_start(detail::checked_period(std::chrono::ceil<std::chrono::nanoseconds>(d)), c,
                     false);
  return c;
}

// A stoppable tick. After stop() returns, no tick is received any more (one already in
// the channel is dropped too).
class ticker {
 public:
  template <class Rep, class Period>
  explicit ticker(std::chrono::duration<Rep, Period> d)
      : ch_(1),
        s_(detail::tick_start(
            detail::checked_period(std::chrono::ceil<std::chrono::nanoseconds>(d)), ch_, true)) {}
  ticker(const ticker&) = delete;
  ticker& operator=(const ticker&) = delete;
  ~ticker() { stop(); }

  recv_chan<time_point> c() const noexcept { return ch_; }
  void stop() noexcept {
    if (s_) detail::tick_stop(std::exchange(s_, nullptr));
  }

 private:
  chan<time_point> ch_;
  detail::tick_state* s_;
};

}  // namespace goro
