#include "switch.hpp"

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

// libstdc++'s __cxa_get_globals(), declared under our own name: <cxxabi.h> marks it
// __attribute__((const)), which would let the compiler reuse one thread's answer after a
// switch has moved this code to another thread (C2).
extern "C" goro::detail::eh_state* goro_cxa_get_globals() noexcept __asm__("__cxa_get_globals");

namespace goro::detail {

namespace {

// The first thing after every jump (C1, C3): `fake_stack` is the arriving context's saved
// ASan fake stack (nullptr on a fiber's first entry).
switch_record* finish_switch([[maybe_unused]] void* fake_stack, bctx::transfer_t t) {
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

}  // namespace

eh_state* thread_eh_state() { return goro_cxa_get_globals(); }

switch_record* switch_to(context& from, context& to, switch_record* rec, eh_state* eh, bool dying) {
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

switch_record* on_entry(bctx::transfer_t t) { return finish_switch(nullptr, t); }

void make_context(context& ctx, void* lo, std::size_t size, void (*entry)(bctx::transfer_t)) {
  ctx.fctx = bctx::make_fcontext(static_cast<char*>(lo) + size, size, entry);
  ctx.stack_lo = lo;
  ctx.stack_size = size;
  ctx.asan_fake_stack = nullptr;
  ctx.eh = {};
}

void* tsan_create_fiber([[maybe_unused]] const char* name) {
#if GORO_TSAN
  void* f = __tsan_create_fiber(0);
  if (name && *name) __tsan_set_fiber_name(f, name);
  return f;
#else
  return nullptr;
#endif
}

void tsan_destroy_fiber([[maybe_unused]] void* f) {
#if GORO_TSAN
  if (f) __tsan_destroy_fiber(f);
#endif
}

void* tsan_current_fiber() {
#if GORO_TSAN
  return __tsan_get_current_fiber();
#else
  return nullptr;
#endif
}

void asan_unpoison([[maybe_unused]] void* lo, [[maybe_unused]] std::size_t size) {
#if GORO_ASAN
  ASAN_UNPOISON_MEMORY_REGION(lo, size);
#endif
}

}  // namespace goro::detail
