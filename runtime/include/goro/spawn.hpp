// goro::spawn / goro::go: start a fiber (Go's goroutine). The callable and its arguments are
// decay-copied (as by std::thread) onto the new fiber's own stack.
//   spawn() returns a join_handle<R>: join() waits for the fiber and returns its result or
//     rethrows its exception. Dropping the handle unjoined detaches the fiber.
//   go() starts a detached fiber, like Go's `go` statement.
// An exception that escapes a detached fiber, or whose handle is dropped unjoined,
// terminates the process with a message naming the fiber and the exception (a Go panic).
// Safe from any fiber or thread; starts the runtime on first use. After spawn() returns,
// the fiber may already be running on another thread.
// Memory ordering: what the spawner did before spawn() is visible to the fiber; what the
// fiber did is visible after join() returns.
//
//   auto h = goro::spawn({.name = "answer"}, [](int x) { return x * 2; }, 21);
//   goro::go([] { fmt::print("hello from a fiber\n"); });
//   int v = h.join();  // 42
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <goro/detail/fiber_api.hpp>

namespace goro {

class wait_group;

struct spawn_options {
  // Usable stack size in bytes; 0: the runtime's default (64 KiB). Rounded up to pages, and
  // to at least 16 KiB; at most 1 GiB: a larger size throws goro::option_error.
  std::size_t stack_size = 0;
  // A name for dumps and fatal messages; copied (up to 31 bytes).
  const char* name = nullptr;
  // If set, the fiber calls group->done() as its very last act, once its callable is
  // destroyed and it no longer counts in live_fibers(): so group->wait() returns only when
  // every fiber of the group is gone. The caller add()s before spawning (a spawn that
  // throws has not started the fiber: the caller then undoes its add()).
  wait_group* group = nullptr;
};

// join_handle<R>: the owner's side of a spawned fiber. Move-only.
namespace detail {
template <class R>
using result_slot = std::optional<std::conditional_t<std::is_void_v<R>, char, R>>;
struct handle_factory;
}  // namespace detail

template <class R>
class [[nodiscard]] join_handle {
 public:
  join_handle() = default;
  join_handle(join_handle&& o) noexcept : f_(std::exchange(o.f_, nullptr)), r_(o.r_) {}
  join_handle& operator=(join_handle&& o) noexcept {
    if (this != &o) {
      reset();
      f_ = std::exchange(o.f_, nullptr);
      r_ = o.r_;
    }
    return *this;
  }
  ~join_handle() { reset(); }

  bool joinable() const noexcept { return f_ != nullptr; }
  std::uint64_t id() const noexcept { return f_ ? detail::fiber_id(f_) : 0; }

  // Waits for the fiber to end; returns its result or rethrows its exception. A scheduling
  // point. Throws goro::error if the handle is empty (already joined or detached).
  R join();
  // Lets the fiber run on unowned.
  void detach() noexcept { reset(); }

 private:
  friend struct detail::handle_factory;
  join_handle(detail::fiber* f, detail::result_slot<R>* r) : f_(f), r_(r) {}
  void reset() noexcept {
    if (f_) detail::fiber_detach(std::exchange(f_, nullptr));
  }

  detail::fiber* f_ = nullptr;
  detail::result_slot<R>* r_ = nullptr;  // in the payload on the fiber's stack
};

namespace detail {

void throw_empty_join();

// The payload carved from the fiber's stack: the callable with its arguments, then the result.
template <class R, class Fn, class... Args>
struct payload {
  std::optional<std::tuple<Fn, Args...>> call;
  result_slot<R> result;

  static void run(void* p) {
    auto* self = static_cast<payload*>(p);
    struct drop_call {  // the callable dies with the fiber, even when it throws
      payload* s;
      ~drop_call() { s->call.reset(); }
    } guard{self};
    if constexpr (std::is_void_v<R>) {
      std::apply([](auto& fn, auto&... a) { std::invoke(std::move(fn), std::move(a)...); },
                 *self->call);
    } else {
      self->result.emplace(std::apply(
          [](auto& fn, auto&... a) { return std::invoke(std::move(fn), std::move(a)...); },
          *self->call));
    }
  }
  static void destroy(void* p) { static_cast<payload*>(p)->~payload(); }
  static constexpr payload_ops ops{&run, &destroy};
};

struct handle_factory {
  template <class R>
  static join_handle<R> make(fiber* f, result_slot<R>* r) {
    return join_handle<R>(f, r);
  }
};

// Creates the fiber and its payload; returns them. Discards the fiber if copying the
// callable throws.
template <class R, class Fn, class... Args>
auto make_fiber(const spawn_options& opts, bool joinable, Fn&& fn, Args&&... args) {
  using P = payload<R, std::decay_t<Fn>, std::decay_t<Args>...>;
  auto nf = fiber_create(opts, sizeof(P), alignof(P), &P::ops, joinable);
  auto* p = ::new (nf.payload) P{};
  try {
    p->call.emplace(std::forward<Fn>(fn), std::forward<Args>(args)...);
  } catch (...) {
    fiber_discard(nf.f);
    throw;
  }
  return std::pair{nf.f, p};
}

}  // namespace detail

template <class R>
R join_handle<R>::join() {
  if (!f_) detail::throw_empty_join();
  detail::fiber* f = std::exchange(f_, nullptr);
  struct release {  // the reference is dropped on both the value and the exception path
    detail::fiber* f;
    ~release() { detail::fiber_release_joined(f); }
  } guard{f};
  detail::fiber_join(f);  // rethrows the fiber's exception
  if constexpr (!std::is_void_v<R>) return std::move(**r_);
}

template <class Fn, class... Args>
auto spawn(const spawn_options& opts, Fn&& fn, Args&&... args) {
  using R = std::invoke_result_t<std::decay_t<Fn>, std::decay_t<Args>...>;
  auto [f, p] =
      detail::make_fiber<R>(opts, true, std::forward<Fn>(fn), std::forward<Args>(args)...);
  detail::fiber_start(f);
  return detail::handle_factory::make<R>(f, &p->result);
}

template <class Fn, class... Args>
requires(!std::is_same_v<std::decay_t<Fn>, spawn_options>) auto spawn(Fn&& fn, Args&&... args) {
  return spawn(spawn_options{}, std::forward<Fn>(fn), std::forward<Args>(args)...);
}

template <class Fn, class... Args>
void go(const spawn_options& opts, Fn&& fn, Args&&... args) {
  using R = std::invoke_result_t<std::decay_t<Fn>, std::decay_t<Args>...>;
  detail::fiber_start(
      detail::make_fiber<R>(opts, false, std::forward<Fn>(fn), std::forward<Args>(args)...).first);
}

template <class Fn, class... Args>
requires(!std::is_same_v<std::decay_t<Fn>, spawn_options>) void go(Fn&& fn, Args&&... args) {
  go(spawn_options{}, std::forward<Fn>(fn), std::forward<Args>(args)...);
}

}  // namespace goro
