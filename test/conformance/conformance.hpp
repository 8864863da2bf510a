// Support for the ports of Go's own tests (test/conformance/): bounded waits that fail with
// a fiber dump instead of hanging to ctest's timeout, and a wait for fibers to reach a wait
// reason, which replaces the time.Sleep that Go's tests use to let a goroutine block.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>

#include <goro/debug.hpp>
#include <goro/goro.hpp>

namespace conformance {

// How long a bounded wait waits before it calls the test hung. Only a hang reaches it: no
// verdict depends on it.
inline constexpr std::chrono::seconds patience{30};

inline std::string fiber_dump() { return goro::format_fibers(goro::list_fibers()); }

// The next value of c, or a failure naming `what` with a fiber dump if none comes within
// `patience`. Empty also when c is closed and drained (as recv()).
template <class T>
std::optional<T> recv_or_fail(const goro::chan<T>& c, std::string_view what) {
  std::optional<T> out;
  bool got = false;
  goro::select(goro::recv(c,
                          [&](std::optional<T> v) {
                            out = std::move(v);
                            got = true;
                          }),
               goro::timeout(patience));
  if (!got)
    ADD_FAILURE() << what << ": nothing received in " << patience.count() << " s\n" << fiber_dump();
  return out;
}
template <class T>
std::optional<T> recv_or_fail(const goro::recv_chan<T>& c, std::string_view what) {
  return recv_or_fail(c.underlying(), what);
}

// Waits for wg to reach zero; false (and a failure with a fiber dump) after `patience`.
inline bool wait_or_fail(goro::wait_group& wg, std::string_view what) {
  auto [ctx, cancel] = goro::with_timeout(goro::context{}, patience);
  const bool ok = !goro::wait(ctx, wg);
  cancel();
  if (!ok)
    ADD_FAILURE() << what << ": wait_group not zero after " << patience.count() << " s\n"
                  << fiber_dump();
  return ok;
}

// The fibers a test starts. wait() returns once every one has ended, not just finished its
// work (a fiber that was readied by its last send may still be queued): the fixture checks
// that no fiber is left at teardown. Call wait() at the end of the test, before the objects
// the fibers use go; the destructor waits too, for the early returns of a failed test.
class fiber_group {
 public:
  fiber_group() = default;
  fiber_group(const fiber_group&) = delete;
  fiber_group& operator=(const fiber_group&) = delete;
  ~fiber_group() { wait(); }

  template <class Fn, class... Args>
  void go(Fn&& fn, Args&&... args) {
    wg_.add(1);
    try {
      goro::go(goro::spawn_options{.group = &wg_}, std::forward<Fn>(fn),
               std::forward<Args>(args)...);
    } catch (...) {
      wg_.done();  // the fiber never started
      throw;
    }
  }
  bool wait() { return wait_or_fail(wg_, "the test's fibers"); }

 private:
  goro::wait_group wg_;
};

// Fibers parked now with this wait reason ("chan receive", "select", "mutex lock"...).
inline int parked_with(std::string_view reason) {
  int n = 0;
  for (const auto& f : goro::list_fibers(false))
    if (f.state == "parked" && f.wait_reason == reason) ++n;
  return n;
}

// Waits until at least n fibers are parked with `reason`: the state Go's tests reach with a
// time.Sleep. False (and a failure with a fiber dump) after `patience`.
inline bool wait_parked(int n, std::string_view reason) {
  const auto give_up = std::chrono::steady_clock::now() + patience;
  while (parked_with(reason) < n) {
    if (std::chrono::steady_clock::now() > give_up) {
      ADD_FAILURE() << "fewer than " << n << " fibers parked in \"" << reason << "\" after "
                    << patience.count() << " s\n"
                    << fiber_dump();
      return false;
    }
    goro::this_fiber::yield();
  }
  return true;
}

// Waits until pred() holds; false (and a failure with a fiber dump) after `patience`.
template <class Pred>
bool wait_until(Pred pred, std::string_view what) {
  const auto give_up = std::chrono::steady_clock::now() + patience;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > give_up) {
      ADD_FAILURE() << what << ": not after " << patience.count() << " s\n" << fiber_dump();
      return false;
    }
    goro::this_fiber::yield();
  }
  return true;
}

}  // namespace conformance
