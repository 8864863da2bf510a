// Internal. Backtraces of switched-out fibers and names for code addresses, with libunwind
// (Debian's libunwind8: DWARF call-frame information, so it needs no frame pointers, and it
// reads the ELF symbol tables, so static functions have names too). It is loaded with
// dlopen(RTLD_LOCAL) on first use, never linked: libunwind.so also defines the _Unwind_*
// functions that C++ exceptions use, and linking it could put them in front of libgcc's.
// Without it, backtraces are empty and names are raw addresses.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace goro::detail {

// The unwind rules of the code a walk passes through, read once per procedure (libunwind's
// unw_reg_states_iterate) and applied to every later frame in it (unw_apply_reg_state). A
// step without it finds the procedure again: dl_iterate_phdr under a signal mask, a search
// of .eh_frame_hdr, the procedure's CFI program run; 200,000 parked fibers repeat the same
// few dozen procedures. One per dump, like symbol_cache; used by one thread at a time.
struct unwind_cache {
  struct row {
    std::uintptr_t end = 0;            // the rule holds for [start, end)
    std::vector<std::uint64_t> state;  // libunwind's dwarf_reg_state_t, copied (8-aligned)
  };
  std::map<std::uintptr_t, row> rows;  // by start address
  // By return address: its row, or null where the first walk there found the stack's end.
  std::unordered_map<std::uintptr_t, const row*> at_pc;
  std::uint64_t procedures_read = 0;  // unw_reg_states_iterate calls (for tests)
};

// The return addresses of a switched-out context, innermost first (at most `max`): `fctx` is
// the saved fcontext (see RELIABILITY: [fpu, r12, r13, r14, r15, rbx, rbp, rip], rsp after).
// The fiber must stay switched out meanwhile.
std::vector<std::uintptr_t> backtrace_of_saved(const void* fctx, std::size_t max = 64);
// The same, stepping through `rules` (the dump's walk of every parked fiber).
std::vector<std::uintptr_t> backtrace_of_saved(const void* fctx, unwind_cache& rules,
                                               std::size_t max = 64);
// From a signal handler: the interrupted code's return addresses, from the handler's
// ucontext, into out (at most max); returns how many. Async-signal-safe once
// unwinder_available() has been called outside the handler (it loads the library).
std::size_t backtrace_of_signal(void* ucontext, std::uintptr_t* out, std::size_t max) noexcept;
// The same for the calling thread, from the caller's frame outwards.
std::vector<std::uintptr_t> backtrace_here(std::size_t max = 64);
// "function+0x1c (file)" for a code address, demangled; "0x5555..." if nothing is known.
// A lookup: libunwind's unw_get_proc_name reads /proc/self/maps and maps the ELF file
// (about 0.3 ms). Go through a symbol_cache wherever more than a few addresses are named.
std::string symbolize(std::uintptr_t pc);
// The frames a reader wants, symbolized: the switching machinery (switch_to, park, the
// fiber's entry...) left out, the fiber's own function named as such.
std::vector<std::string> readable_backtrace(const std::uintptr_t* pcs, std::size_t n);

// Names for code addresses, each looked up once: the frames of 200,000 fibers parked in a
// few places share a few dozen addresses. One per dump or report, dropped after it: a
// library unloaded in between, and another mapped at its address, would be misnamed by a
// cache kept for the process. Used by one thread at a time.
class symbol_cache {
 public:
  // symbolize(pc), looked up on first use.
  const std::string& name(std::uintptr_t pc);
  // readable_backtrace(pcs, n), each address looked up on first use.
  std::vector<std::string> readable_backtrace(const std::uintptr_t* pcs, std::size_t n);

 private:
  struct entry {
    std::string name;   // symbolize(pc)
    std::string frame;  // as a backtrace shows it; empty for the switching machinery
  };
  const entry& lookup(std::uintptr_t pc);

  std::unordered_map<std::uintptr_t, entry> entries_;
};
// False when libunwind could not be loaded (the reason is in unwinder_error()).
bool unwinder_available();
const char* unwinder_error();

// For tests: the symbol lookups (symbolize calls) this process did so far, and a function
// called after each with that count (a death test's child prints it: its report ends the
// process before the test could ask). Set the hook before the runtime starts.
std::uint64_t symbol_lookups() noexcept;
// The same for unwind rules: each a search for a procedure's unwind information (an
// uncached unw_step, or the reading of a procedure's rules into an unwind_cache).
std::uint64_t unwind_lookups() noexcept;
void on_symbol_lookup(void (*hook)(std::uint64_t count)) noexcept;

}  // namespace goro::detail
