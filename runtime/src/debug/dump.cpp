// Fiber dumps and the leak list (see goro/debug.hpp).
// DU1: a dump reads a parked fiber's saved registers and stack only while it holds the
//      fiber in `inspected` (a CAS from `parked`, acquire: it pairs with the release store of
//      `parked` after the switch-out, so the saved context and the wait reason are visible).
//      ready() waits while a fiber is inspected, so the fiber cannot run, end or be reused
//      meanwhile; the dump then stores `parked` again (release).
// DU2: the walk sees a control block's id, name and spawn site through F4 (magic, acquire);
//      a fiber that is not parked is reported from those and its state alone.
#include <algorithm>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include <goro/debug.hpp>
#include <goro/detail/futex.hpp>

#include "debug/unwind.hpp"
#include "fiber.hpp"
#include "scheduler.hpp"
#include "trace/record.hpp"

namespace goro {

namespace {

using detail::fiber;
using detail::fiber_state;

struct collected {
  fiber_info info;
  std::uintptr_t spawn_pc = 0;
  std::vector<std::uintptr_t> pcs;
};

void collect(fiber* f, bool backtraces, const fiber* self, detail::unwind_cache& rules,
             std::vector<collected>& out) {
  collected c;
  c.info.id = f->id;  // DU2
  c.info.name.assign(f->name, ::strnlen(f->name, sizeof f->name));
  c.spawn_pc = f->spawn_pc;  // symbolized after the walk
  auto st = f->state.load(std::memory_order_acquire);
  if (st == fiber_state::dead || st == fiber_state::created) return;
  if (f == self) {
    c.info.state = "running";
    if (backtraces) c.pcs = detail::backtrace_here();
  } else if (st == fiber_state::parked &&
             f->state.compare_exchange_strong(st, fiber_state::inspected,
                                              std::memory_order_acquire)) {
    // DU1: held parked until the store below.
    c.info.state = "parked";
    c.info.wait_reason = detail::to_string(f->reason);
    c.info.waiting = std::chrono::nanoseconds(
        std::max<std::int64_t>(0, detail::coarse_monotonic_ns() - f->parked_since));
    if (backtraces) c.pcs = detail::backtrace_of_saved(f->ctx.fctx, rules);
    f->state.store(fiber_state::parked, std::memory_order_release);
  } else {
    c.info.state = st == fiber_state::running ? "running" : "runnable";
    if (st == fiber_state::parked || st == fiber_state::inspected) c.info.state = "parked";
  }
  out.push_back(std::move(c));
}

std::string format_waiting(std::chrono::nanoseconds d) {
  const double s = std::chrono::duration<double>(d).count();
  if (s < 120) return fmt::format("{:.0f} s", s);
  return fmt::format("{} minutes", static_cast<long>(s / 60));
}

}  // namespace

std::vector<fiber_info> list_fibers(bool backtraces) {
  struct walk {
    bool backtraces;
    const fiber* self;
    detail::unwind_cache rules;  // fibers parked in one place share their procedures
    std::vector<collected> out;
  } w{backtraces, detail::current_fiber(), {}, {}};
  // The walk holds the stack pool's lock: it only reads and flips states (no allocation
  // from the pool, which could wait for that lock).
  w.out.reserve(1024);
  detail::for_each_fiber(
      [](fiber* f, void* arg) {
        auto* w = static_cast<walk*>(arg);
        collect(f, w->backtraces, w->self, w->rules, w->out);
      },
      &w);
  std::vector<fiber_info> result;
  result.reserve(w.out.size());
  detail::symbol_cache names;  // fibers parked in one place share their addresses
  for (auto& c : w.out) {
    if (c.spawn_pc) c.info.spawned_at = names.name(c.spawn_pc);
    c.info.backtrace = names.readable_backtrace(c.pcs.data(), c.pcs.size());
    result.push_back(std::move(c.info));
  }
  std::sort(result.begin(), result.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return result;
}

std::string format_fibers(const std::vector<fiber_info>& fibers) {
  std::string out;
  for (const auto& f : fibers) {
    auto it = std::back_inserter(out);
    fmt::format_to(it, "fiber {}", f.id);
    if (!f.name.empty()) fmt::format_to(it, " ({})", f.name);
    if (f.state == "parked" && f.waiting >= std::chrono::seconds(1)) {  // as Go: long waits
      fmt::format_to(it, " [{}, {}]:\n", f.wait_reason, format_waiting(f.waiting));
    } else if (f.state == "parked") {
      fmt::format_to(it, " [{}]:\n", f.wait_reason);
    } else {
      fmt::format_to(it, " [{}]:\n", f.state);
    }
    if (!f.spawned_at.empty()) fmt::format_to(it, "  spawned at {}\n", f.spawned_at);
    for (std::size_t i = 0; i < f.backtrace.size(); ++i)
      fmt::format_to(it, "  #{} {}\n", i, f.backtrace[i]);
    out += '\n';
  }
  return out;
}

void dump(std::FILE* out) {
  auto fibers = list_fibers(true);
  std::string text = fmt::format("goro: {} fibers\n\n", fibers.size());
  text += format_fibers(fibers);
  if (!detail::unwinder_available())
    text += fmt::format("(no backtraces: {})\n", detail::unwinder_error());
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
  detail::trace_at_dump();  // GORO_TRACE / options.trace_path: the events that led here
}

std::vector<fiber_info> leaked_fibers() {
  auto all = list_fibers(true);
  if (const fiber* self = detail::current_fiber()) {
    const auto id = self->id;
    std::erase_if(all, [id](const fiber_info& f) { return f.id == id; });
  }
  return all;
}

}  // namespace goro
