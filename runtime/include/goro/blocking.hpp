// goro::blocking: run a call that blocks its OS thread (a system call, a C library, a
// mutex of threaded code) without stalling the other fibers of the caller's processor.
// Go's syscall handoff: the processor passes to another machine (thread) while `fn` runs
// on this one; afterwards the fiber takes any free processor, or queues for one.
// From a plain thread it just calls `fn`. The result or exception of `fn` is passed through.
//
//   auto n = goro::blocking([&] { return ::read(fd, buf, len); });
#pragma once

#include <type_traits>
#include <utility>

namespace goro {

namespace detail {
bool enter_blocking() noexcept;  // true if the caller is a fiber and released its processor
void exit_blocking();            // reacquires a processor (a scheduling point)
}  // namespace detail

template <class Fn>
decltype(auto) blocking(Fn&& fn) {
  struct scope {
    bool active = detail::enter_blocking();
    ~scope() noexcept(false) {
      if (active) detail::exit_blocking();
    }
  } s;
  return std::forward<Fn>(fn)();
}

}  // namespace goro
