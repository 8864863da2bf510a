// goro::error: the base of every exception goro throws for misuse. Outcomes that are not
// misuse (a closed channel drained, a timeout) are values, not exceptions.
//
//   try { wg.add(-1); } catch (const goro::wait_group_error& e) { log(e.what()); }
#pragma once

#include <stdexcept>

namespace goro {

struct error : std::logic_error {
  using std::logic_error::logic_error;
};

// wait_group counter went negative ("goro: negative wait_group counter").
struct wait_group_error : error {
  using error::error;
};

// Send on a closed channel, close of a closed or nil channel (Go's panics).
struct closed_channel_error : error {
  using error::error;
};

// Unlock of an unlocked goro::mutex (Go: "fatal error: sync: unlock of unlocked mutex").
struct mutex_error : error {
  using error::error;
};

// A semaphore released more than held, or asked for more than its capacity.
struct semaphore_error : error {
  using error::error;
};

// The runtime was used in a way its lifecycle forbids (e.g. shutdown() from a fiber).
struct runtime_error : error {
  using error::error;
};

// reset() of a goro::timer or goro::ticker that no longer holds its timer: moved from, or
// (a timer) detached.
struct timer_error : error {
  using error::error;
};

// An invalid option (procs out of range, a stack size that is too small...).
struct option_error : error {
  using error::error;
};

}  // namespace goro
