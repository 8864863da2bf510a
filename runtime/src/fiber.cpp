// Fiber lifecycle: create (control block and payload carved from a pooled stack), start,
// run to the end, hand the result or exception to the joiner, release. Invariants F1-F3
// are in fiber.hpp.
#include "fiber.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <typeinfo>

#include <cxxabi.h>

#include <goro/debug.hpp>
#include <goro/error.hpp>
#include <goro/spawn.hpp>
#include <goro/wait_group.hpp>

#include "debug/fatal.hpp"
#include "direct_switch.hpp"
#include "scheduler.hpp"
#include "trace/record.hpp"

namespace goro::detail {

namespace {

std::atomic<std::int64_t> thread_spawns{0};  // fibers spawned from plain threads
std::atomic<std::int64_t> thread_exits{0};   // fibers ended on a machine without processor

// "std::runtime_error: boom" for an exception_ptr, for fatal messages.
std::string describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(
        abi::__cxa_demangle(typeid(ex).name(), nullptr, nullptr, &status), std::free);
    return std::string(status == 0 ? name.get() : typeid(ex).name()) + ": " + ex.what();
  } catch (...) {
    auto* t = abi::__cxa_current_exception_type();
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(
        t ? abi::__cxa_demangle(t->name(), nullptr, nullptr, &status) : nullptr, std::free);
    return std::string("exception of type ") + (name ? name.get() : (t ? t->name() : "unknown"));
  }
}

[[noreturn]] void fatal_unhandled(fiber* f, std::exception_ptr e) {
  fiber_label l(f);
  // As Go after a panic: the message, then every fiber (this one running, first frames
  // where the exception was caught), then abort.
  std::string msg = fmt::format(
      "goro: fatal: {} ended with an unhandled exception: {} (join it to receive the "
      "exception)\n\n",
      l.text, describe(e));
  write_stderr(msg.data(), msg.size());
  goro::dump(stderr);
  std::abort();
}

// Marks f done and wakes its joiner (F3). Runs on f's own stack, at its end.
void finish(fiber* f, std::exception_ptr e) {
  goro::wait_group* group = f->group;
  machine* m = current_m();
  if (m->p) {
    m->p->exits.inc();
  } else {
    thread_exits.fetch_add(1, std::memory_order_relaxed);
  }
  // Dead from here on for dumps and leak checks (it only switches out now); a joiner woken
  // below sees it so. after_switch stores dead again once it is off its stack.
  f->state.store(fiber_state::dead, std::memory_order_release);
  f->join_lock.lock();
  f->done = true;
  if (e && f->detached) {
    f->join_lock.unlock();
    fatal_unhandled(f, e);
  }
  f->exception = std::move(e);
  waiter* j = std::exchange(f->joiner, nullptr);
  f->join_lock.unlock();
  if (j) j->wake();  // W2: after the unlock
  // Last: the exit is counted and the callable destroyed; the group's waiter may free the
  // wait_group as soon as this returns (its done() touches nothing after, WG1).
  if (group) group->done();
}

// Every fiber starts here, on its own stack (make_fcontext); it never returns.
[[noreturn]] void fiber_main(bctx::transfer_t t) {
  after_switch(current_m(), on_entry(t));
  fiber* f = current_m()->current;
  std::exception_ptr e;
  try {
    f->ops->run(f->payload);
  } catch (...) {
    e = std::current_exception();
  }
  finish(f, std::move(e));
  // Final switch: whoever runs next drops this fiber's reference (F2), off its stack. The
  // record lives in the control block: under ASan a dying fiber's locals may sit on its
  // fake stack, which the switch frees.
  f->exit_record.action = switch_action::exit;
  switch_out(current_m(), f, f->exit_record, /*dying=*/true);
  fatal("a dead fiber was resumed");  // make_fcontext's trampoline would _exit(0) silently
}

}  // namespace

fiber_label::fiber_label(const fiber* f) noexcept {
  auto r = f->name[0] ? fmt::format_to_n(text, sizeof text - 1, "fiber {} ({})", f->id, f->name)
                      : fmt::format_to_n(text, sizeof text - 1, "fiber {}", f->id);
  text[std::min(r.size, sizeof text - 1)] = '\0';
}

new_fiber fiber_create(const spawn_options& opts, std::size_t size, std::size_t align,
                       const payload_ops* ops, bool joinable) {
  if (opts.stack_size > max_stack_size)
    throw option_error(
        fmt::format("goro: spawn_options.stack_size={}: want 0 (the default) or at most 1 GiB",
                    opts.stack_size));
  ensure_started();
  machine* m = current_m();
  processor* p = m ? m->p : nullptr;
  stack s = stack_pool::instance().acquire(opts.stack_size, p ? &p->stacks : nullptr);

  // Layout, from the top of the stack down: control block, payload, then the frames.
  char* top = s.hi();
  auto* f = ::new (static_cast<void*>(fiber_at(top))) fiber;
  auto payload_at = (reinterpret_cast<std::uintptr_t>(f) - size) & ~(std::uintptr_t{align} - 1);
  char* frames_top = reinterpret_cast<char*>(payload_at & ~std::uintptr_t{63});
  if (frames_top - s.lo < 4096) {
    stack_pool::instance().release(s, p ? &p->stacks : nullptr);
    throw option_error("goro: spawn: the callable and its arguments do not fit the stack");
  }
  f->stk = s;
  f->ops = ops;
  f->payload = reinterpret_cast<void*>(payload_at);
  f->refs.store(joinable ? 2 : 1, std::memory_order_relaxed);  // F2
  f->detached = !joinable;
  f->id = next_fiber_id(p);
  if (opts.name) {
    std::strncpy(f->name, opts.name, sizeof f->name - 1);
  }
  f->group = opts.group;
  f->spawn_pc = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
  make_context(f->ctx, s.lo, static_cast<std::size_t>(frames_top - s.lo), fiber_main);
  f->ctx.tsan_fiber = tsan_create_fiber(f->name);
  if (p) {
    p->spawns.inc();
  } else {
    thread_spawns.fetch_add(1, std::memory_order_relaxed);
  }
  f->magic_word().store(fiber_magic, std::memory_order_release);  // F4: publishes the fields above
  return {f, f->payload};
}

void fiber_start(fiber* f) {
  f->state.store(fiber_state::runnable, std::memory_order_relaxed);
  machine* m = current_m();
  trace_put_any(m ? m->p : nullptr, trace_kind::spawn, f->id,
                m && m->current ? m->current->id : 0,  // the spawning fiber, if any
                trace_stamp::slice);
  if (m && m->p) {
    // Newest fresh fiber first (run_queue.hpp): a fork-join tree runs depth first. Go puts
    // it in runnext instead, which readied fibers keep here (they run before it).
    runq_put(m->p, f, false, /*fresh=*/true);
    wakep();
  } else {
    global_put(f, gq_at::fresh);  // a plain thread's spawn: behind readied fibers
  }
}

void fiber_discard(fiber* f) noexcept {
  tsan_destroy_fiber(f->ctx.tsan_fiber);
  machine* m = current_m();
  processor* p = m ? m->p : nullptr;
  if (p) {
    p->exits.inc();
  } else {
    thread_exits.fetch_add(1, std::memory_order_relaxed);
  }
  f->refs.store(1, std::memory_order_relaxed);
  f->ops = nullptr;  // the payload's constructor threw: nothing to destroy
  fiber_unref(f);
}

void fiber_unref(fiber* f) noexcept {
  // acq_rel: the last owner sees everything the others did with the fiber.
  if (f->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (f->ops) f->ops->destroy(f->payload);
  stack s = f->stk;
  f->~fiber();
  machine* m = current_m();
  stack_pool::instance().release(s, m && m->p ? &m->p->stacks : nullptr);
}

[[noreturn]] void throw_abandoned(const fiber* f) {
  fiber_label l(f);
  throw goro::runtime_error(
      fmt::format("goro: join of {}: it was abandoned unfinished by goro::shutdown()", l.text));
}

void fiber_join(fiber* f) {
  f->join_lock.lock();
  if (f->abandoned) {  // F5
    f->join_lock.unlock();
    throw_abandoned(f);
  }
  if (!f->done) {
    waiter w;
    f->joiner = &w;
    w.wait(f->join_lock, wait_reason::join);  // F3: woken by finish(), or F5
    if (!f->done) throw_abandoned(f);         // F5: abandon_unfinished_fibers() woke us
  } else {
    f->join_lock.unlock();
  }
  if (f->exception) std::rethrow_exception(std::exchange(f->exception, nullptr));
}

void fiber_detach(fiber* f) noexcept {
  f->join_lock.lock();
  f->detached = true;
  std::exception_ptr e = f->done ? std::exchange(f->exception, nullptr) : nullptr;
  f->join_lock.unlock();
  if (e) fatal_unhandled(f, e);  // its exception would otherwise be lost
  fiber_unref(f);
}

void fiber_release_joined(fiber* f) noexcept { fiber_unref(f); }

std::uint64_t fiber_id(const fiber* f) noexcept { return f->id; }

const char* to_string(fiber_state s) noexcept {
  switch (s) {
    case fiber_state::created:
      return "created";
    case fiber_state::runnable:
      return "runnable";
    case fiber_state::running:
      return "running";
    case fiber_state::parked:
      return "parked";
    case fiber_state::dead:
      return "dead";
    case fiber_state::inspected:
      return "parked";
  }
  return "?";
}

void for_each_fiber(void (*fn)(fiber* f, void* arg), void* arg) {
  struct ctx {
    void (*fn)(fiber*, void*);
    void* arg;
  } c{fn, arg};
  stack_pool::instance().for_each_stack_top(
      [](char* top, void* a) {
        auto* c = static_cast<ctx*>(a);
        fiber* f = fiber_at(top);
        // F4: acquire pairs with fiber_create's release store of magic.
        if (f->magic_word().load(std::memory_order_acquire) == fiber_magic) c->fn(f, c->arg);
      },
      &c);
}

void abandon_unfinished_fibers() {
  for_each_fiber(
      [](fiber* f, void*) {
        f->join_lock.lock();
        waiter* j = nullptr;
        if (!f->done) {
          f->abandoned = true;  // F5
          // A plain thread waits on a futex: wake it. A joining fiber is abandoned too.
          if (f->joiner && !f->joiner->f) j = std::exchange(f->joiner, nullptr);
        }
        f->join_lock.unlock();
        if (j) j->wake();  // W2: after the unlock
      },
      nullptr);
}

bool any_fiber_block_live() {
  bool live = false;
  for_each_fiber([](fiber*, void* arg) { *static_cast<bool*>(arg) = true; }, &live);
  return live;
}

void throw_empty_join() { throw goro::error("goro: join of an empty join_handle"); }

std::int64_t thread_fiber_balance() noexcept {
  return thread_spawns.load(std::memory_order_relaxed) -
         thread_exits.load(std::memory_order_relaxed);
}

}  // namespace goro::detail
