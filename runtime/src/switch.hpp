// Internal. switch: `context` and `switch_to`, the one context switch of the runtime
// (invariant 5), on raw Boost.Context fcontext, carrying everything that must travel with
// an execution context:
// C1: the saved registers (fctx), written by the side that is switched *to*, from the
//     transfer it receives: a context is "fully saved" only once that store is done, and
//     only after it may anyone resume it (invariant 1).
// C2: libstdc++'s per-thread exception state (caught-exception stack, uncaught count) is
//     saved into the outgoing context and the incoming one's restored, so `throw;` and
//     std::uncaught_exceptions() stay right across switches and migrations.
// C3: ASan's fiber-switch annotations (start before the jump, finish right after it) and
//     TSan's (switch immediately before the jump); see RELIABILITY.md §5.
// A switch goes from a fiber to its machine's scheduler context, from the scheduler to a
// fiber, or from a fiber directly to the next runnable fiber of its processor. Whatever
// receives control acts on the record it receives (scheduler.cpp, after_switch).
#pragma once

#include <cstddef>
#include <cstdint>

#include <boost/context/detail/fcontext.hpp>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GORO_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define GORO_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GORO_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define GORO_TSAN 1
#endif

#if GORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if GORO_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace goro::detail {

namespace bctx = boost::context::detail;

// libstdc++'s __cxa_eh_globals.
struct eh_state {
  void* caught = nullptr;
  unsigned int uncaught = 0;
};

struct context {
  bctx::fcontext_t fctx = nullptr;
  // Bounds of the stack this context runs on (ASan). A scheduler context learns its
  // thread's bounds from the first switch into a fiber.
  const void* stack_lo = nullptr;
  std::size_t stack_size = 0;
  void* asan_fake_stack = nullptr;  // ASan's fake-stack handle while switched out
  void* tsan_fiber = nullptr;       // TSan's fiber handle
  eh_state eh;                      // C2
};

// What a switch asks of the side it switches to. Lives on the switching side's stack,
// which stays intact until the receiver is done with it.
// requeue: back to the global queue, after goro::blocking gave the processor away.
enum class switch_action : std::uint8_t { run, yield, park, exit, requeue };
struct switch_record {
  context* from = nullptr;       // filled by switch_to
  struct fiber* prev = nullptr;  // the fiber that switched out (nullptr: a scheduler)
  switch_action action = switch_action::run;
  void (*unlock)(void*) = nullptr;  // park: called after the switch (invariant 1)
  void* arg = nullptr;
};

// The first thing after every jump (C1, C3): `fake_stack` is the arriving context's saved
// ASan fake stack (nullptr on a fiber's first entry).
inline switch_record* finish_switch([[maybe_unused]] void* fake_stack, bctx::transfer_t t) {
#if GORO_ASAN
  const void* lo = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(fake_stack, &lo, &size);
#endif
  auto* rec = static_cast<switch_record*>(t.data);
  rec->from->fctx = t.fctx;  // C1: the context we came from is now fully saved
#if GORO_ASAN
  // Where a scheduler context learns its thread's stack bounds (RELIABILITY.md §6).
  rec->from->stack_lo = lo;
  rec->from->stack_size = size;
#endif
  return rec;
}

// Switches from `from` (the running context) to `to`, handing over `rec`. Returns, once
// something switches back to `from`, the record that came with that switch (whose `from`
// context has been saved, C1). `dying`: `from` will never run again (ASan frees its
// fake stack).
// `eh` is the running thread's exception state (thread_eh_state(), cached per machine: the
// lookup costs a __tls_get_addr call). Inline: it is the switch path's middle (yield,
// park, the scheduler loop), and a call would save and restore the registers the jump
// saves anyway.
inline switch_record* switch_to(context& from, context& to, switch_record* rec, eh_state* eh,
                                bool dying = false) {
  rec->from = &from;
  // C2: `eh` belongs to the thread running this line; after the jump this code may run on
  // another thread, so it is never used after the jump.
  from.eh = *eh;
  *eh = to.eh;
#if GORO_ASAN
  __sanitizer_start_switch_fiber(dying ? nullptr : &from.asan_fake_stack, to.stack_lo,
                                 to.stack_size);
#else
  (void)dying;
#endif
#if GORO_TSAN
  __tsan_switch_to_fiber(to.tsan_fiber, 0);  // flags 0: the switch orders memory
#endif
  bctx::transfer_t t = bctx::jump_fcontext(to.fctx, rec);
  return finish_switch(from.asan_fake_stack, t);
}

// The calling thread's libstdc++ exception state.
eh_state* thread_eh_state();

// Prepares `ctx` to run `entry` on the stack [lo, lo + size). `entry` receives the first
// record and must never return.
void make_context(context& ctx, void* lo, std::size_t size, void (*entry)(bctx::transfer_t));

// For an entry function: completes the switch that entered it (C1, C3) and returns its record.
switch_record* on_entry(bctx::transfer_t t);

// Sanitizer hooks for fiber lifetime (no-ops in plain builds).
void* tsan_create_fiber(const char* name);
void tsan_destroy_fiber(void* f);
void* tsan_current_fiber();
void asan_unpoison(void* lo, std::size_t size);

}  // namespace goro::detail
