// Stack overflow → a message naming the fiber (RELIABILITY.md §7): a SIGSEGV handler on a
// per-machine alternate stack recognises a fault in the running fiber's guard page.
#include <csignal>
#include <cstring>

#include <sys/mman.h>

#include "debug/fatal.hpp"
#include "scheduler.hpp"

namespace goro::detail {

namespace {

constexpr std::size_t altstack_size = 64 * 1024;
struct sigaction previous_action;

void on_segv(int sig, siginfo_t* info, void* uctx) {
  machine* m = current_m();  // initial-exec TLS: async-signal-safe
  fiber* f = m ? (m->current ? m->current : m->blocked) : nullptr;
  const char* addr = static_cast<const char*>(info->si_addr);
  // Sent by kill/tgkill/sigqueue (si_code <= 0), not a fault: nothing runs again to fault
  // again, so the signal is raised anew under the previous action (pending until we return).
  if (info->si_code <= 0) {
    ::sigaction(SIGSEGV, &previous_action, nullptr);
    ::raise(SIGSEGV);
    return;
  }
  if (f) {
    const char* lo = f->stk.lo;
    const char* where = nullptr;
    if (addr >= lo - page_size && addr < lo) {
      where = f->stk.guarded() ? "in guard page" : "just below its stack, unguarded";
    } else if (!f->stk.guarded() && addr < lo && addr >= lo - f->stk.size) {
      where = "below its stack, unguarded";
    } else if (!f->canary_intact()) {
      where = "its canary is overwritten";
    }
    if (where) {
      fiber_label l(f);
      fatal(
          "{} overflowed its {} KiB stack (fault at {}, {}); raise it with spawn options "
          "{{.stack_size = ...}}",
          l.text, f->stk.size / 1024, static_cast<const void*>(addr), where);
    }
  }
  // Not an overflow: hand the signal to whoever had it before (default: core dump). The
  // faulting instruction runs again and faults again under that handler.
  if (previous_action.sa_flags & SA_SIGINFO && previous_action.sa_sigaction) {
    previous_action.sa_sigaction(sig, info, uctx);
    return;
  }
  ::sigaction(SIGSEGV, &previous_action, nullptr);
}

}  // namespace

void install_overflow_handler() {
  static bool installed = [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGSEGV, &sa, &previous_action);
    return true;
  }();
  (void)installed;
}

void* make_altstack() {
  void* p =
      ::mmap(nullptr, altstack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  stack_t ss{};
  ss.ss_sp = p;
  ss.ss_size = altstack_size;
  ::sigaltstack(&ss, nullptr);
  return p;
}

void free_altstack(void* s) {
  if (!s) return;
  stack_t ss{};
  ss.ss_flags = SS_DISABLE;
  ::sigaltstack(&ss, nullptr);
  ::munmap(s, altstack_size);
}

}  // namespace goro::detail
