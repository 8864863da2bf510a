// goro::scope: structured concurrency (a nursery; Go's errgroup, Tokio's JoinSet). Every
// fiber spawned in a scope is joined before the scope ends, so none outlives the data it
// borrowed from the enclosing frame. The first fiber to fail (throw) cancels the scope's
// context, which the others should watch (spawn passes it to a callable that takes one);
// wait() joins them all and rethrows that first exception; the others stay available from
// other_errors(). An optional limit bounds how many of its fibers run at once (spawn then
// waits for a free slot, as errgroup.SetLimit's Go does; try_spawn does not wait: TryGo).
// Ending a scope without wait() (its destructor) joins too; an exception nobody saw then is
// a fatal error naming it, as an unjoined fiber's is: errors are never lost (unless the
// scope ends while another exception unwinds through it: that one goes on).
//
//   goro::scope s(parent_ctx);
//   for (auto& url : urls)
//     s.spawn([&, url](const goro::context& ctx) { pages[url] = fetch(ctx, url); });
//   s.wait();   // every fetch ended; the first failure (if any) is rethrown here
#pragma once

#include <cstddef>
#include <exception>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <goro/context.hpp>
#include <goro/semaphore.hpp>
#include <goro/spawn.hpp>
#include <goro/wait_group.hpp>

namespace goro {

class scope {
 public:
  // limit 0: no limit.
  explicit scope(const context& parent = {}, std::size_t limit = 0)
      : scope(made{}, with_cancel(parent), limit) {}
  scope(const scope&) = delete;
  scope& operator=(const scope&) = delete;
  ~scope();

  // The scope's context: cancelled when a fiber fails, when cancel() is called, or when the
  // parent ends.
  const context& ctx() const noexcept { return ctx_; }

  // Runs fn() or fn(ctx()) on a fiber of the scope. With a limit, waits for a free slot.
  template <class Fn>
  void spawn(Fn fn) {
    if (limit_) slots_.acquire();
    start(std::move(fn));
  }
  // The same if a slot is free now; false (and fn not run) if the limit is reached
  // (errgroup's TryGo). Without a limit it always spawns.
  template <class Fn>
  bool try_spawn(Fn fn) {
    if (limit_ && !slots_.try_acquire()) return false;
    start(std::move(fn));
    return true;
  }

  // Joins every fiber; rethrows the first exception, if any (once).
  void wait();
  // Cancels the scope's context (the fibers decide how to stop).
  void cancel(std::string cause = "scope canceled") { cancel_(std::move(cause)); }
  // The exceptions after the first, in the order they happened.
  std::vector<std::exception_ptr> other_errors() const;

 private:
  struct made {};
  scope(made, std::pair<context, cancel_func> ctx_and_cancel, std::size_t limit);
  void fail(std::exception_ptr e);

  // Runs fn on a new fiber of the scope; its slot (with a limit) is taken already. The
  // runtime counts the fiber out of running_ at its very end (spawn_options::group), so
  // wait() returns only once every fiber is gone, callable and all.
  template <class Fn>
  void start(Fn fn) {
    running_.add(1);
    try {
      goro::go({.group = &running_}, [this, fn = std::move(fn)]() mutable {
        try {
          if constexpr (std::is_invocable_v<Fn&, const context&>) {
            fn(ctx_);
          } else {
            fn();
          }
        } catch (...) {
          fail(std::current_exception());
        }
        if (limit_) slots_.release();
      });
    } catch (...) {  // not started: undo
      if (limit_) slots_.release();
      running_.done();
      throw;
    }
  }

  context ctx_;
  cancel_func cancel_;
  int uncaught_;  // std::uncaught_exceptions() at construction
  std::size_t limit_;
  semaphore slots_;
  wait_group running_;
  mutable std::mutex mu_;  // guards the three below
  std::exception_ptr first_;
  std::vector<std::exception_ptr> others_;
  bool first_seen_ = false;
};

}  // namespace goro
