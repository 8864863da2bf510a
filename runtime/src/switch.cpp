#include "switch.hpp"

// libstdc++'s __cxa_get_globals(), declared under our own name: <cxxabi.h> marks it
// __attribute__((const)), which would let the compiler reuse one thread's answer after a
// switch has moved this code to another thread (C2).
extern "C" goro::detail::eh_state* goro_cxa_get_globals() noexcept __asm__("__cxa_get_globals");

namespace goro::detail {

eh_state* thread_eh_state() { return goro_cxa_get_globals(); }

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
