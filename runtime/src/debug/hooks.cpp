// The symbols a debugger starts from (see hooks.hpp). Compiled with -g whatever the
// build type (runtime/CMakeLists.txt): the types used here, and the types of their fields
// (stack_pool, scheduler, machine, fiber, wait_reason, fiber_state), are then described in
// any program linked with the runtime.
#include "debug/hooks.hpp"

#include "fiber.hpp"
#include "scheduler.hpp"

extern "C" {
goro::detail::stack_pool* goro_debug_stack_pool = nullptr;
goro::detail::scheduler* goro_debug_scheduler = nullptr;
[[gnu::used]] const std::uint64_t goro_debug_fiber_magic = goro::detail::fiber_magic;
[[gnu::used]] const std::uint64_t goro_debug_fiber_offset = goro::detail::fiber_block;
}
