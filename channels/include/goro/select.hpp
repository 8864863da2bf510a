// goro::select: Go's select statement. Waits until one of its cases can proceed and runs
// it; when several can, one is chosen uniformly at random. Cases:
//   goro::recv(ch, fn)      receive; fn(std::optional<T>) gets the value (empty: closed)
//   goro::send(ch, v, fn)   send v; fn() runs after
//   goro::timeout(d, fn)    nothing else was ready within duration d (also: goro::deadline)
//   goro::otherwise(fn)     nothing is ready now: do not wait (Go's default)
// Handlers are optional. select returns the case that ran (goro::selected): it converts to
// the case's position (0-based) among the arguments; `.channel` is its index among the
// channel cases alone.
// A case made from a temporary channel (goro::recv(goro::after(1s))) owns it and may be
// kept for a later select; one made from a named channel refers to it (no reference count
// touched), so the channel must outlive the case. A nil channel's case is never ready.
// Channel locks are taken in address order; a blocked select allocates nothing for up to
// 16 cases. Safe from any fiber or thread.
// Misuse: a send case on a closed channel throws goro::closed_channel_error, as in Go.
//
//   Go:                                  goro:
//   select {                             goro::select(
//   case v := <-in:                        goro::recv(in, [&](auto&& v) { use(*v); }),
//       use(v)                             goro::send(out, 7),
//   case out <- 7:                         goro::timeout(100ms, [] { log("slow"); }));
//   case <-time.After(100 * ms):
//       log("slow")
//   }
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <goro/chan.hpp>
#include <goro/clock.hpp>

namespace goro {

namespace detail {
struct no_handler {
  template <class... A>
  void operator()(A&&...) const {}
};

// What a case keeps of its channel: a case made from a temporary handle (recv(after(1s)))
// owns it, so that the case may outlive the full expression (auto r = recv(after(1s));
// select(r);); one made from a named handle refers to it, which costs no reference count.
struct no_hold {};
template <class T, class Fn, class Hold = no_hold>
struct recv_case {
  chan_core* c;
  Fn fn;
  std::optional<T> out;
  Hold hold;
};
template <class T, class Fn, class Hold = no_hold>
struct send_case {
  chan_core* c;
  T value;
  Fn fn;
  Hold hold;
};
template <class Fn>
struct deadline_case {
  std::chrono::steady_clock::time_point at;
  Fn fn;
};
template <class Fn>
struct default_case {
  Fn fn;
};

template <class C>
struct case_kind {
  static constexpr bool channel = false, deadline = false, fallback = false;
};
template <class T, class Fn, class H>
struct case_kind<recv_case<T, Fn, H>> {
  static constexpr bool channel = true, deadline = false, fallback = false;
};
template <class T, class Fn, class H>
struct case_kind<send_case<T, Fn, H>> {
  static constexpr bool channel = true, deadline = false, fallback = false;
};
template <class Fn>
struct case_kind<deadline_case<Fn>> {
  static constexpr bool channel = false, deadline = true, fallback = false;
};
template <class Fn>
struct case_kind<default_case<Fn>> {
  static constexpr bool channel = false, deadline = false, fallback = true;
};
template <class C>
using kind_of = case_kind<std::remove_cvref_t<C>>;
}  // namespace detail

template <class T, class Fn = detail::no_handler>
auto recv(const chan<T>& ch, Fn fn = {}) {
  return detail::recv_case<T, Fn>{ch.core(), std::move(fn), std::nullopt, {}};
}
template <class T, class Fn = detail::no_handler>
auto recv(chan<T>&& ch, Fn fn = {}) {  // a temporary: the case owns it
  detail::chan_core* c = ch.core();
  return detail::recv_case<T, Fn, chan<T>>{c, std::move(fn), std::nullopt, std::move(ch)};
}
template <class T, class Fn = detail::no_handler>
auto recv(const recv_chan<T>& ch, Fn fn = {}) {
  return recv(ch.underlying(), std::move(fn));
}
template <class T, class Fn = detail::no_handler>
auto recv(recv_chan<T>&& ch, Fn fn = {}) {  // a temporary view: the case owns a handle
  return recv(chan<T>(ch.underlying()), std::move(fn));
}
template <class T, class V, class Fn = detail::no_handler>
auto send(const chan<T>& ch, V&& v, Fn fn = {}) {
  return detail::send_case<T, Fn>{ch.core(), T(std::forward<V>(v)), std::move(fn), {}};
}
template <class T, class V, class Fn = detail::no_handler>
auto send(chan<T>&& ch, V&& v, Fn fn = {}) {  // a temporary: the case owns it
  detail::chan_core* c = ch.core();
  return detail::send_case<T, Fn, chan<T>>{c, T(std::forward<V>(v)), std::move(fn), std::move(ch)};
}
template <class T, class V, class Fn = detail::no_handler>
auto send(send_chan<T>&& ch, V&& v, Fn fn = {}) {  // a temporary view: the case owns a handle
  return send(chan<T>(ch.underlying()), std::forward<V>(v), std::move(fn));
}
template <class T, class V, class Fn = detail::no_handler>
auto send(const send_chan<T>& ch, V&& v, Fn fn = {}) {
  return send(ch.underlying(), std::forward<V>(v), std::move(fn));
}
template <class Fn = detail::no_handler>
auto deadline(std::chrono::steady_clock::time_point at, Fn fn = {}) {
  return detail::deadline_case<Fn>{at, std::move(fn)};
}
template <class Rep, class Period, class Fn = detail::no_handler>
auto timeout(std::chrono::duration<Rep, Period> d, Fn fn = {}) {
  return deadline(detail::deadline_after(d), std::move(fn));  // saturated: max never fires
}
template <class Fn = detail::no_handler>
auto otherwise(Fn fn = {}) {
  return detail::default_case<Fn>{std::move(fn)};
}

// Which case a select ran. Converts to its position among the arguments (0-based), as
// select's int result did: `switch (goro::select(...))`, `if (goro::select(...) == 0)`.
// `channel` is its index among the channel cases alone (recv and send, in argument order):
// with per-channel arrays, `outs[r.channel]` needs no mapping from positions; -1 when a
// timeout or otherwise case ran (timed_out(), defaulted()).
struct selected {
  int position = -1;
  int channel = -1;
  enum class kind : unsigned char { channel, timeout, otherwise } what = kind::channel;
  bool timed_out() const noexcept { return what == kind::timeout; }
  bool defaulted() const noexcept { return what == kind::otherwise; }
  operator int() const noexcept { return position; }  // NOLINT: implicit, as the int it was
};

template <class... Cases>
selected select(Cases&&... cases) {
  constexpr int n = (0 + ... + int{detail::kind_of<Cases>::channel});
  constexpr int defaults = (0 + ... + int{detail::kind_of<Cases>::fallback});
  constexpr int deadlines = (0 + ... + int{detail::kind_of<Cases>::deadline});
  static_assert(defaults <= 1, "goro::select: at most one otherwise() case");
  static_assert(n + defaults + deadlines == sizeof...(Cases), "goro::select: unknown case");
  std::array<detail::select_case, n == 0 ? 1 : n> sc{};
  detail::waiter_room<n == 0 ? 1 : n> waiters;
  std::int64_t deadline_ns = -1;

  // Fill the type-erased cases, in argument order.
  auto args = std::forward_as_tuple(cases...);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    int k = 0;
    auto fill = [&](auto& c) {
      using C = std::remove_cvref_t<decltype(c)>;
      if constexpr (detail::kind_of<C>::channel) {
        if constexpr (requires { c.out; }) {
          sc[k] = {c.c, false, &c.out, false};
        } else {
          sc[k] = {c.c, true, &c.value, false};
        }
        ++k;
      } else if constexpr (detail::kind_of<C>::deadline) {
        auto ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(c.at.time_since_epoch()).count();
        if (deadline_ns < 0 || ns < deadline_ns) deadline_ns = ns < 0 ? 0 : ns;
      }
    };
    (fill(std::get<I>(args)), ...);
  }
  (std::index_sequence_for<Cases...>{});

  const int r = detail::select_impl(sc.data(), waiters.bytes, n, defaults > 0, deadline_ns);

  // Run the chosen case's handler; return its position among the arguments.
  selected result;
  int& position = result.position;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    int k = 0;
    bool deadline_done = false;
    auto run = [&](auto& c, int pos) {
      using C = std::remove_cvref_t<decltype(c)>;
      if constexpr (detail::kind_of<C>::channel) {
        if (k++ == r) {
          position = pos;
          result.channel = r;
          if constexpr (requires { c.out; }) {
            c.fn(std::move(c.out));
          } else {
            c.fn();
          }
        }
      } else if constexpr (detail::kind_of<C>::deadline) {
        // The earliest deadline fired (the first of equal ones).
        if (r == detail::select_timeout && !deadline_done &&
            std::chrono::duration_cast<std::chrono::nanoseconds>(c.at.time_since_epoch()).count() <=
                (deadline_ns > 0 ? deadline_ns : 0)) {
          deadline_done = true;
          position = pos;
          result.what = selected::kind::timeout;
          c.fn();
        }
      } else {
        if (r == detail::select_default) {
          position = pos;
          result.what = selected::kind::otherwise;
          c.fn();
        }
      }
    };
    (run(std::get<I>(args), static_cast<int>(I)), ...);
  }
  (std::index_sequence_for<Cases...>{});
  return result;
}

}  // namespace goro
