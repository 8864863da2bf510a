// Backtraces with a dlopen'ed libunwind (see unwind.hpp).
#define UNW_LOCAL_ONLY
#include "debug/unwind.hpp"

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>

#include <cxxabi.h>
#include <dlfcn.h>
#include <libunwind.h>
#include <ucontext.h>

#include <fmt/format.h>

namespace goro::detail {

namespace {

#define GORO_UNW_STR2(x) #x
#define GORO_UNW_STR(x) GORO_UNW_STR2(x)

struct libunwind {
  decltype(&unw_init_local) init_local = nullptr;
  decltype(&unw_init_local2) init_local2 = nullptr;
  decltype(&unw_step) step = nullptr;
  decltype(&unw_get_reg) get_reg = nullptr;
  decltype(&unw_get_proc_name) get_proc_name = nullptr;
  // Optional (libunwind >= 1.2): without them, cached walks step as uncached ones do.
  decltype(&unw_reg_states_iterate) reg_states_iterate = nullptr;
  decltype(&unw_apply_reg_state) apply_reg_state = nullptr;
  decltype(&unw_get_save_loc) get_save_loc = nullptr;
  const char* error = nullptr;

  libunwind() {
    void* h = ::dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      error = "libunwind.so.8 not found (Debian: libunwind8)";
      return;
    }
    init_local = reinterpret_cast<decltype(init_local)>(::dlsym(h, GORO_UNW_STR(unw_init_local)));
    init_local2 =
        reinterpret_cast<decltype(init_local2)>(::dlsym(h, GORO_UNW_STR(unw_init_local2)));
    step = reinterpret_cast<decltype(step)>(::dlsym(h, GORO_UNW_STR(unw_step)));
    get_reg = reinterpret_cast<decltype(get_reg)>(::dlsym(h, GORO_UNW_STR(unw_get_reg)));
    get_proc_name =
        reinterpret_cast<decltype(get_proc_name)>(::dlsym(h, GORO_UNW_STR(unw_get_proc_name)));
    reg_states_iterate = reinterpret_cast<decltype(reg_states_iterate)>(
        ::dlsym(h, GORO_UNW_STR(unw_reg_states_iterate)));
    apply_reg_state =
        reinterpret_cast<decltype(apply_reg_state)>(::dlsym(h, GORO_UNW_STR(unw_apply_reg_state)));
    get_save_loc =
        reinterpret_cast<decltype(get_save_loc)>(::dlsym(h, GORO_UNW_STR(unw_get_save_loc)));
    if (!init_local || !init_local2 || !step || !get_reg || !get_proc_name) {
      error = "libunwind.so.8 lacks the local unwinding functions";
      init_local = nullptr;
      return;
    }
    // No cache: unwinding from a signal handler must not take the cache's lock (the
    // interrupted code might hold it).
    auto set_policy = reinterpret_cast<decltype(&unw_set_caching_policy)>(
        ::dlsym(h, GORO_UNW_STR(unw_set_caching_policy)));
    auto* space = static_cast<unw_addr_space_t*>(::dlsym(h, GORO_UNW_STR(unw_local_addr_space)));
    if (set_policy && space) set_policy(*space, UNW_CACHE_NONE);
  }
  bool ok() const { return init_local != nullptr; }
  bool rules() const { return reg_states_iterate && apply_reg_state && get_save_loc; }
};

// A statistic: read by tests on the thread that did the lookups, or after joining it.
std::atomic<std::uint64_t> lookups{0};
std::atomic<std::uint64_t> rule_lookups{0};  // a statistic too

// unw_step, counted (a walk's steps outside signal handlers).
int counted_step(const libunwind& u, unw_cursor_t* cur) {
  rule_lookups.fetch_add(1, std::memory_order_relaxed);  // a statistic
  return u.step(cur);
}
// Set before the runtime starts (see unwind.hpp); acquire/release all the same.
std::atomic<void (*)(std::uint64_t)> lookup_hook{nullptr};

const libunwind& lib() {
  static const libunwind l;  // thread-safe, loaded once
  return l;
}

// unw_reg_states_iterate's callback: one row of the procedure's rules.
int add_row(void* token, void* state, std::size_t size, unw_word_t start, unw_word_t end) {
  auto& rows = static_cast<unwind_cache*>(token)->rows;
  unwind_cache::row r;
  r.end = static_cast<std::uintptr_t>(end);
  r.state.resize((size + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t));
  std::memcpy(r.state.data(), state, size);
  rows.insert_or_assign(static_cast<std::uintptr_t>(start), std::move(r));
  return 0;
}

// The row whose rule holds at `at`, or null.
const unwind_cache::row* find_row(const unwind_cache& c, std::uintptr_t at) {
  auto it = c.rows.upper_bound(at);
  if (it == c.rows.begin()) return nullptr;
  --it;
  return at < it->second.end ? &it->second : nullptr;
}

// One step from the frame under `cur`, as unw_step takes it (> 0: a caller frame, 0: the
// end of the stack, < 0: an error), through `rules`. Every frame a walk of a switched-out
// fiber meets is a call: its rule is the one at the call, pc - 1 (unw_step's
// use_prev_instr).
int step_with(const libunwind& u, unw_cursor_t* cur, unwind_cache& rules) {
  unw_word_t ip = 0;
  if (!u.rules() || u.get_reg(cur, UNW_REG_IP, &ip) != 0 || ip == 0) return counted_step(u, cur);
  const auto pc = static_cast<std::uintptr_t>(ip);
  auto [known, added] = rules.at_pc.try_emplace(pc, nullptr);
  if (added) {
    const auto at = pc - 1;
    const unwind_cache::row* r = find_row(rules, at);
    if (!r) {
      ++rules.procedures_read;
      rule_lookups.fetch_add(1, std::memory_order_relaxed);  // a statistic
      unw_cursor_t probe = *cur;  // reg_states_iterate moves no register; keep cur as it is
      if (u.reg_states_iterate(&probe, add_row, &rules) >= 0) r = find_row(rules, at);
    }
    if (!r) {
      // No rule (no FDE: the fiber's first frame, make_fcontext's trampoline, has none):
      // unw_step's own way. Where it ends the stack, the frames met here later end too.
      rules.at_pc.erase(pc);
      const int ret = counted_step(u, cur);
      if (ret == 0) rules.at_pc.emplace(pc, nullptr);
      return ret;
    }
    known->second = r;
  }
  if (!known->second) return 0;  // the end of the stack, as the first walk here found
  const int ret = u.apply_reg_state(cur, const_cast<std::uint64_t*>(known->second->state.data()));
  if (ret <= 0) return ret;
  // As unw_step on x86-64: an undefined RBP also ends the chain.
  unw_save_loc_t rbp{};
  if (u.get_save_loc(cur, UNW_X86_64_RBP, &rbp) == 0 && rbp.type == UNW_SLT_NONE) return 0;
  return ret;
}

std::vector<std::uintptr_t> walk(ucontext_t* uc, std::size_t max, bool skip_first,
                                 unwind_cache* rules) {
  std::vector<std::uintptr_t> pcs;
  const libunwind& u = lib();
  if (!u.ok()) return pcs;
  unw_cursor_t cur;
  if (u.init_local(&cur, uc) != 0) return pcs;
  bool first = true;
  do {
    unw_word_t ip = 0;
    if (u.get_reg(&cur, UNW_REG_IP, &ip) != 0 || ip == 0) break;
    if (!(first && skip_first)) pcs.push_back(static_cast<std::uintptr_t>(ip));
    first = false;
  } while (pcs.size() < max && (rules ? step_with(u, &cur, *rules) : counted_step(u, &cur)) > 0);
  return pcs;
}

}  // namespace

namespace {

std::vector<std::uintptr_t> walk_saved(const void* fctx, std::size_t max, unwind_cache* rules) {
  // The registers jump_fcontext saved, and the stack pointer it restores (fctx + 0x40).
  auto* slot = static_cast<const std::uint64_t*>(fctx);
  ucontext_t uc;
  std::memset(&uc, 0, sizeof uc);
  greg_t* g = uc.uc_mcontext.gregs;
  g[REG_R12] = static_cast<greg_t>(slot[1]);
  g[REG_R13] = static_cast<greg_t>(slot[2]);
  g[REG_R14] = static_cast<greg_t>(slot[3]);
  g[REG_R15] = static_cast<greg_t>(slot[4]);
  g[REG_RBX] = static_cast<greg_t>(slot[5]);
  g[REG_RBP] = static_cast<greg_t>(slot[6]);
  g[REG_RIP] = static_cast<greg_t>(slot[7]);
  g[REG_RSP] = static_cast<greg_t>(reinterpret_cast<std::uintptr_t>(fctx) + 0x40);
  return walk(&uc, max, false, rules);
}

}  // namespace

std::vector<std::uintptr_t> backtrace_of_saved(const void* fctx, std::size_t max) {
  return walk_saved(fctx, max, nullptr);
}

std::vector<std::uintptr_t> backtrace_of_saved(const void* fctx, unwind_cache& rules,
                                               std::size_t max) {
  return walk_saved(fctx, max, &rules);
}

std::size_t backtrace_of_signal(void* ucontext, std::uintptr_t* out, std::size_t max) noexcept {
  const libunwind& u = lib();  // loaded already (see unwind.hpp): no allocation here
  if (!u.ok()) return 0;
  unw_cursor_t cur;
  if (u.init_local2(&cur, static_cast<unw_context_t*>(ucontext), UNW_INIT_SIGNAL_FRAME) != 0)
    return 0;
  std::size_t n = 0;
  do {
    unw_word_t ip = 0;
    if (u.get_reg(&cur, UNW_REG_IP, &ip) != 0 || ip == 0) break;
    out[n++] = static_cast<std::uintptr_t>(ip);
  } while (n < max && u.step(&cur) > 0);
  return n;
}

std::vector<std::uintptr_t> backtrace_here(std::size_t max) {
  ucontext_t uc;
  if (::getcontext(&uc) != 0) return {};
  return walk(&uc, max, true, nullptr);  // without backtrace_here itself
}

std::string symbolize(std::uintptr_t pc) {
  const auto count = lookups.fetch_add(1, std::memory_order_relaxed) + 1;  // a statistic
  // Pairs with the release store in on_symbol_lookup().
  if (auto hook = lookup_hook.load(std::memory_order_acquire)) hook(count);
  const libunwind& u = lib();
  std::string file;
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(pc), &info) && info.dli_fname) {
    file = info.dli_fname;
    if (auto slash = file.rfind('/'); slash != std::string::npos) file.erase(0, slash + 1);
  }
  if (u.ok()) {
    // A cursor whose instruction pointer is pc: libunwind names the function around it from
    // the ELF symbol tables (.symtab too, unlike dladdr).
    ucontext_t uc;
    std::memset(&uc, 0, sizeof uc);
    std::uint64_t scratch[4] = {};
    uc.uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(pc);
    uc.uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(reinterpret_cast<std::uintptr_t>(scratch));
    unw_cursor_t cur;
    char name[512];
    unw_word_t off = 0;
    if (u.init_local(&cur, &uc) == 0 && u.get_proc_name(&cur, name, sizeof name, &off) == 0) {
      int status = 0;
      std::unique_ptr<char, void (*)(void*)> dem(
          abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
      std::string fn = status == 0 && dem ? dem.get() : name;
      if (fn.size() > 200) fn = fn.substr(0, 197) + "...";  // lambdas in templates run long
      return file.empty() ? fmt::format("{}+{:#x}", fn, off)
                          : fmt::format("{}+{:#x} ({})", fn, off, file);
    }
  }
  return file.empty() ? fmt::format("{:#x}", pc) : fmt::format("{:#x} ({})", pc, file);
}

namespace {

// The switching machinery says nothing to a reader: its frames are left out. The other
// runtime frames stay (chan_recv, fiber_join, ...: what the fiber waits in).
bool machinery_frame(std::string_view name) {
  for (std::string_view p :
       {"goro::detail::switch_to(", "goro::detail::switch_out(", "goro::detail::park(",
        "goro::detail::waiter::wait(", "goro::detail::waiter::wait_with(",
        "goro::detail::(anonymous namespace)::fiber_main(", "make_fcontext", "jump_fcontext",
        "ontop_fcontext", "std::__invoke", "void std::__invoke", "std::apply",
        "decltype(auto) std::__apply"})
    if (name.starts_with(p)) return true;
  return false;
}

// "goro::detail::payload<R, Fn, Args...>::run(void*)+0x24 (prog)": the fiber's own function
// (its body inlined there) is Fn: shown as "Fn (the fiber's function)+0x24 (prog)".
std::string readable_frame(std::string name) {
  constexpr std::string_view payload = "goro::detail::payload<";
  if (!name.starts_with(payload)) return name;
  // The template arguments at depth 1: the first is R, the second Fn.
  std::size_t i = payload.size(), depth = 1, fn_begin = 0, fn_end = 0;
  for (; i < name.size(); ++i) {
    const char ch = name[i];
    if (ch == '<' || ch == '(') ++depth;
    if (ch == '>' || ch == ')') --depth;
    const bool boundary = (depth == 1 && ch == ',') || depth == 0;
    if (boundary && fn_begin == 0) {
      fn_begin = i + 2;  // past ", "
    } else if (boundary && fn_end == 0) {
      fn_end = i;
    }
    if (depth == 0) break;
  }
  const auto plus = name.find("+0x", i);
  if (fn_begin == 0 || fn_end <= fn_begin || plus == std::string::npos) return name;
  return name.substr(fn_begin, fn_end - fn_begin) + " (the fiber's function)" + name.substr(plus);
}

}  // namespace

std::vector<std::string> readable_backtrace(const std::uintptr_t* pcs, std::size_t n) {
  symbol_cache names;  // a recursion names its frame once
  return names.readable_backtrace(pcs, n);
}

const symbol_cache::entry& symbol_cache::lookup(std::uintptr_t pc) {
  auto [it, added] = entries_.try_emplace(pc);
  if (added) {
    it->second.name = symbolize(pc);
    if (!machinery_frame(it->second.name)) it->second.frame = readable_frame(it->second.name);
  }
  return it->second;
}

const std::string& symbol_cache::name(std::uintptr_t pc) { return lookup(pc).name; }

std::vector<std::string> symbol_cache::readable_backtrace(const std::uintptr_t* pcs,
                                                          std::size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const entry& e = lookup(pcs[i]);
    if (!e.frame.empty()) out.push_back(e.frame);
  }
  return out;
}

bool unwinder_available() { return lib().ok(); }

std::uint64_t symbol_lookups() noexcept { return lookups.load(std::memory_order_relaxed); }

std::uint64_t unwind_lookups() noexcept { return rule_lookups.load(std::memory_order_relaxed); }

void on_symbol_lookup(void (*hook)(std::uint64_t count)) noexcept {
  lookup_hook.store(hook, std::memory_order_release);  // pairs with the acquire in symbolize()
}
const char* unwinder_error() { return lib().error ? lib().error : ""; }

}  // namespace goro::detail
