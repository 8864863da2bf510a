// goro::patterns::spawn_target: where a pattern's fibers run, and what ends them. Every channel
// pattern (stage, or_done, generate, merge, tee, bridge, fan_out) takes one as its first
// argument, made implicitly from
//   a context:  detached fibers, ended when the context ends (they end on their own,
//               shortly after: nobody can wait for them);
//   a scope:    fibers of the scope, ended when the scope's context ends and joined by its
//               wait(): once it returns, none is left. A failure (an exception from a
//               stage's function) cancels the scope and is rethrown by wait(). A scope with
//               a limit counts these fibers too (a pipeline needs one slot per fiber).
// Problem: a pipeline whose fibers must all be gone at a known point (before the data they
// use goes, or before a test counts live fibers) without polling.
//
//   goro::scope s;
//   auto squares = goro::patterns::stage(s, numbers, [](int x) { return x * x; });
//   for (int v : squares) if (v > 100) break;
//   s.cancel();
//   s.wait();   // every fiber of the pipeline has ended
#pragma once

#include <utility>

#include <goro/context.hpp>
#include <goro/scope.hpp>
#include <goro/spawn.hpp>

namespace goro::patterns {

class spawn_target {
 public:
  spawn_target(const context& ctx) : ctx_(ctx) {}        // NOLINT: implicit by design
  spawn_target(scope& s) : ctx_(s.ctx()), scope_(&s) {}  // NOLINT: implicit by design

  const context& ctx() const noexcept { return ctx_; }

  // Starts fn() on a fiber: detached, or in the scope.
  template <class Fn>
  void go(Fn fn) const {
    if (scope_) {
      scope_->spawn(std::move(fn));
    } else {
      goro::go(std::move(fn));
    }
  }

 private:
  context ctx_;
  scope* scope_ = nullptr;
};

}  // namespace goro::patterns
