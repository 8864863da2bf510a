// Internal. The runtime's state as a debugger finds it: tools/gdb/goro_gdb.py reads these
// symbols (and, through them, the stack pool, fibers and machines) in a live process or a
// core file, without calling into the program. The names are extern "C" so that they are
// found without demangling; debug/hooks.cpp is compiled with -g in every build type, so
// that the types behind them are described even in a release build.
// DH1: each pointer is set once, when its object is created, and never cleared (the
//      objects are never destroyed).
#pragma once

#include <cstdint>

namespace goro::detail {
class stack_pool;
struct scheduler;
}  // namespace goro::detail

extern "C" {
extern goro::detail::stack_pool* goro_debug_stack_pool;  // DH1: stack_pool::instance()
extern goro::detail::scheduler* goro_debug_scheduler;    // DH1: sched()
extern const std::uint64_t goro_debug_fiber_magic;       // fiber_magic (F4)
extern const std::uint64_t goro_debug_fiber_offset;      // a stack's top minus fiber_at(top)
}
