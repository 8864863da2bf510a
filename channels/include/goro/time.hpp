// Time as channels (Go's time.After, time.Tick, time.Ticker and time.Timer), for select.
//   goro::after(d)    a channel that receives the time once, d from now
//   goro::tick(d)     a channel that receives the time every d, for as long as anyone
//                     holds a handle to it
//   goro::ticker t(d) the same with stop() (and a stop when t is destroyed)
//   goro::timer t(d)  a channel that receives the time once, with stop() and reset(d)
//   goro::timer t(d, fn)  runs fn on a fiber of its own after d (Go's AfterFunc)
//   goro::after_func(d, fn)  the same, detached: nothing to keep (timer::detach)
// A tick is dropped when the previous one has not been received yet (the channel holds
// one), as in Go: a slow reader sees fewer ticks, never a backlog. The timers run on the
// runtime's per-processor timer heaps; while one is pending, the deadlock report stays
// silent. Durations saturate as in Go: one past the clock's range (nanoseconds::max(),
// hours::max()) never fires. Timers still pending at shutdown never fire; their handles may
// still be stopped (true: stopped before firing), reset (which starts the runtime again)
// and destroyed after it.
// timer::stop and timer::reset follow Go 1.23's rule: a time that a firing put in the
// channel and nobody received yet counts as pending. They discard it and return true, as
// for a timer that has not fired: after either returns, no stale time is received, and
// the pre-1.23 idiom `if (!t.reset(d)) t.c().recv();` (for a timer whose time was not
// received) never waits. False means the time was received, or the timer was stopped.
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
#include <functional>
#include <utility>

#include <goro/chan.hpp>
#include <goro/clock.hpp>

namespace goro {

using time_point = std::chrono::steady_clock::time_point;

namespace detail {
struct tick_state;
recv_chan<time_point> after_ns(std::int64_t ns);
tick_state* tick_start(std::int64_t period_ns, chan<time_point> c, bool owned);
void tick_stop(tick_state* s) noexcept;
std::int64_t checked_period(std::chrono::nanoseconds d);  // throws goro::option_error
struct timer_state;
timer_state* timer_make(chan<time_point> c, std::function<void()> fn);
bool timer_arm(timer_state* s, std::int64_t ns);  // (re)arms; true if it was pending
bool timer_stop(timer_state* s) noexcept;         // true if it was pending
void timer_free(timer_state* s) noexcept;         // stops, then frees
void timer_detach(timer_state* s) noexcept;       // frees after it fires (now if not armed)
}  // namespace detail

// A channel that receives the time once, `d` from now (at once if d <= 0).
template <class Rep, class Period>
recv_chan<time_point> after(std::chrono::duration<Rep, Period> d) {
  return detail::after_ns(detail::saturated_ns(d));
}

// A channel that receives the time every `d` (> 0, else goro::option_error). Ticking stops
// once no handle to the channel is left but the timer's own.
template <class Rep, class Period>
recv_chan<time_point> tick(std::chrono::duration<Rep, Period> d) {
  chan<time_point> c(1);
  detail::tick_start(detail::checked_period(std::chrono::nanoseconds(detail::saturated_ns(d))), c,
                     false);
  return c;
}

// A stoppable tick. After stop() returns, no tick is received any more (one already in
// the channel is dropped too). reset(d) starts it again with a new period (Go's
// Ticker.Reset), stopped or not.
//
//   goro::ticker t(1s);
//   t.reset(100ms);   // from now on, every 100 ms
class ticker {
 public:
  template <class Rep, class Period>
  explicit ticker(std::chrono::duration<Rep, Period> d)
      : ch_(1),
        s_(detail::tick_start(
            detail::checked_period(std::chrono::nanoseconds(detail::saturated_ns(d))), ch_, true)) {
  }
  ticker(const ticker&) = delete;
  ticker& operator=(const ticker&) = delete;
  // Movable: the ticking goes with it; the moved-from ticker is stopped, its c() nil and
  // its reset() throws goro::timer_error.
  ticker(ticker&& o) noexcept : ch_(std::move(o.ch_)), s_(std::exchange(o.s_, nullptr)) {}
  ticker& operator=(ticker&& o) noexcept {
    if (this != &o) {
      stop();
      ch_ = std::move(o.ch_);
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  ~ticker() { stop(); }

  recv_chan<time_point> c() const noexcept { return ch_; }
  void stop() noexcept {
    if (s_) detail::tick_stop(std::exchange(s_, nullptr));
  }
  // Stops the ticker (a tick waiting in c() is dropped) and starts it again: the next tick
  // comes `d` from now, then every `d`. A period <= 0 throws goro::option_error, as the
  // constructor does, and leaves the ticker as it was.
  template <class Rep, class Period>
  void reset(std::chrono::duration<Rep, Period> d) {
    const auto period = detail::checked_period(std::chrono::nanoseconds(detail::saturated_ns(d)));
    if (!ch_) throw timer_error("goro: reset of a moved-from ticker");
    stop();
    s_ = detail::tick_start(period, ch_, true);
  }

 private:
  chan<time_point> ch_;
  detail::tick_state* s_;
};

// A one-shot timer that can be stopped and re-armed (Go's time.Timer). Either its channel
// c() receives the time when it fires, or, made with a function, that function runs on a
// fiber of its own. stop() and reset() are for one owner at a time (not concurrently with
// each other on the same timer); firing may race with them, as in Go, and the result says
// who won. Destroying the timer stops it.
//
//   goro::timer t(100ms);
//   goro::select(goro::recv(in, handle), goro::recv(t.c(), [](auto) { slow(); }));
//   t.reset(100ms);   // re-arm for the next round
//   goro::after_func(1s, [] { flush(); });            // fire and forget (detached)
//   auto keep = goro::after_func(1s, flush, goro::keep);  // a timer to stop or reset
class timer {
 public:
  template <class Rep, class Period>
  explicit timer(std::chrono::duration<Rep, Period> d)
      : ch_(1), s_(detail::timer_make(ch_, nullptr)) {
    detail::timer_arm(s_, detail::saturated_ns(d));
  }
  template <class Rep, class Period, class Fn>
  timer(std::chrono::duration<Rep, Period> d, Fn fn)
      : s_(detail::timer_make(chan<time_point>(), std::function<void()>(std::move(fn)))) {
    detail::timer_arm(s_, detail::saturated_ns(d));
  }
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;
  // Movable: the timer goes with it; the moved-from one holds none (stop() is false,
  // reset() throws goro::timer_error, c() is nil).
  timer(timer&& o) noexcept : ch_(std::move(o.ch_)), s_(std::exchange(o.s_, nullptr)) {}
  timer& operator=(timer&& o) noexcept {
    if (this != &o) {
      if (s_) detail::timer_free(s_);
      ch_ = std::move(o.ch_);
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  ~timer() {
    if (s_) detail::timer_free(s_);
  }

  // The channel that receives the time (nil for a function timer).
  recv_chan<time_point> c() const noexcept { return ch_; }
  // Stops it; true if it was pending: armed, or fired with its time still unreceived (that
  // time is discarded: Go 1.23's rule). False if its time was received (or fn started),
  // or it was stopped already.
  bool stop() noexcept { return s_ && detail::timer_stop(s_); }
  // Re-arms it `d` from now; true if it was pending, as for stop() (a time from an earlier
  // firing still in the channel is discarded: no stale time after a reset).
  template <class Rep, class Period>
  bool reset(std::chrono::duration<Rep, Period> d) {
    if (!s_) throw timer_error("goro: reset of a moved-from or detached timer");
    return detail::timer_arm(s_, detail::saturated_ns(d));
  }
  // Lets the timer go on without this handle (Go's AfterFunc with its *Timer ignored): it
  // still fires (its function runs, or its time goes to a channel nobody may receive from)
  // and frees itself after; a stopped or fired one is freed now. Afterwards this handle
  // holds none, as a moved-from one. A timer still pending when the runtime shuts down
  // never fires, and its memory is not returned.
  void detach() noexcept {
    if (s_) detail::timer_detach(std::exchange(s_, nullptr));
  }

 private:
  chan<time_point> ch_;
  detail::timer_state* s_;
};

// Go's time.AfterFunc: fn runs on a fiber of its own `d` from now. Without goro::keep the
// timer is detached (Go's usual `time.AfterFunc(d, f)` with its *Timer ignored); with it, a
// goro::timer is returned, to stop or reset (destroying that one stops it).
struct keep_t {
  explicit keep_t() = default;
};
inline constexpr keep_t keep{};

template <class Rep, class Period, class Fn>
void after_func(std::chrono::duration<Rep, Period> d, Fn fn) {
  timer(d, std::move(fn)).detach();
}
template <class Rep, class Period, class Fn>
[[nodiscard]] timer after_func(std::chrono::duration<Rep, Period> d, Fn fn, keep_t) {
  return timer(d, std::move(fn));
}

}  // namespace goro
