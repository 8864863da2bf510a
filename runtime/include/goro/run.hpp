// goro::run: the program's main function as a fiber (Go's main goroutine). Starts the
// runtime with `opts`, runs fn as the fiber named "main", waits for it, shuts the runtime
// down and returns fn's result (an int; 0 when fn returns void). An exception that leaves
// fn is rethrown by run() after the shutdown. Fibers still parked when fn returns are
// abandoned, as goroutines are when Go's main returns. The main fiber's stack is 1 MiB (or
// options.stack_size if larger), committed as it is touched. Throws goro::runtime_error if the
// runtime is already running, goro::option_error on an invalid option.
//
//   int main() {
//     return goro::run({.procs = 2}, [] {
//       goro::chan<int> c(0);
//       goro::go([c] { c.send(42); });
//       fmt::print("{}\n", *c.recv());
//     });
//   }
//
// Deadlock report. While fn runs, the process ends with exit status 2 and, on stderr,
//   fatal error: all fibers are asleep - deadlock!
// followed by one line per fiber (id, name, state, wait reason), at the moment when all of
// these hold together (checked by the last machine to go idle):
//   - no fiber is running or runnable: every fiber, main included, is parked;
//   - no timer is pending (a sleep, a select timeout, an after() or tick() channel);
//   - no machine is inside goro::blocking;
//   - no plain thread is in a goro wait with a deadline, or holds a goro::active_thread.
// A plain (non-fiber) thread that is running is invisible to the runtime. If such a thread
// may wake fibers (send on a channel, unlock a mutex, count down a wait_group) while every
// fiber waits, it declares itself with a goro::active_thread for that time; otherwise the
// runtime would take the program for deadlocked. A plain thread blocked in a goro
// operation without a deadline is asleep, as a fiber is.
#pragma once

#include <functional>
#include <type_traits>
#include <utility>

#include <goro/runtime.hpp>
#include <goro/spawn.hpp>

namespace goro {

namespace detail {
void main_fiber_running(bool on) noexcept;  // arms / disarms the deadlock report
void active_threads_add(int n) noexcept;
void active_thread_end() noexcept;  // -1, then the deadlock check if it was the last
}  // namespace detail

// While alive, the calling plain thread counts as able to wake fibers: no deadlock report.
class active_thread {
 public:
  active_thread() noexcept { detail::active_threads_add(1); }
  ~active_thread() { detail::active_thread_end(); }
  active_thread(const active_thread&) = delete;
  active_thread& operator=(const active_thread&) = delete;
};

namespace detail {
// The runtime is started: runs fn as the main fiber, then shuts the runtime down.
template <class F>
int run_main(std::size_t stack_size, F& fn) {
  static_assert(std::is_void_v<std::invoke_result_t<F&>> ||
                    std::is_convertible_v<std::invoke_result_t<F&>, int>,
                "goro::run: fn must return void or an int");
  struct stopper {
    ~stopper() { shutdown(); }
  } stop;
  spawn_options main_opts{
      .stack_size = stack_size > (std::size_t{1} << 20) ? stack_size : (std::size_t{1} << 20),
      .name = "main"};
  auto h = spawn(main_opts, [&fn]() -> int {
    detail::main_fiber_running(true);
    struct disarm {
      ~disarm() { detail::main_fiber_running(false); }
    } d;
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      std::invoke(fn);
      return 0;
    } else {
      return static_cast<int>(std::invoke(fn));
    }
  });
  return h.join();
}
}  // namespace detail

template <class F>
int run(const options& opts, F&& fn) {
  start(opts);
  return detail::run_main(opts.stack_size, fn);
}

template <class F>
int run(F&& fn) {
  return run(options{}, std::forward<F>(fn));
}

}  // namespace goro
