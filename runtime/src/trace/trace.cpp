// The flight recorder's rings and its switch: start, stop, the shared ring of plain
// threads, GORO_TRACE (see goro/trace.hpp, trace/ring.hpp).
// Lock order: `control`, then scheduler::lock.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include <fmt/format.h>

#include <goro/error.hpp>
#include <goro/trace.hpp>

#include "scheduler.hpp"
#include "trace/export.hpp"
#include "trace/record.hpp"

namespace goro::detail {

std::atomic<bool> trace_on{false};

namespace {

checked_mutex control;  // serializes start, stop and the trace file
// One ring per processor id, created on first use and kept for the life of the process
// (a processor of a later runtime start with the same id reuses it).
std::atomic<trace_ring*> rings[max_trace_procs];
// The ring of plain threads: created once under `control`, then never changed.
std::atomic<trace_ring*> shared_ring{nullptr};
spinlock shared_lock;                             // serializes writers of shared_ring
std::string trace_path GORO_GUARDED_BY(control);  // the GORO_TRACE file, or empty

trace_ring* ring_for(int id) {
  trace_ring* r = rings[id].load(std::memory_order_acquire);  // pairs with the CAS below
  if (r) return r;
  auto* fresh = new trace_ring;
  // Release pairs with the acquire loads of rings[]: the new ring is constructed.
  if (rings[id].compare_exchange_strong(r, fresh, std::memory_order_acq_rel)) return fresh;
  delete fresh;
  return r;
}

void forget_recorded() {
  for (auto& slot : rings)
    if (trace_ring* r = slot.load(std::memory_order_acquire))   // pairs with ring_for's CAS
      r->from.store(r->head(), std::memory_order_relaxed);      // a hint (ring.hpp)
  trace_ring* r = shared_ring.load(std::memory_order_relaxed);  // control held
  r->from.store(r->head(), std::memory_order_relaxed);
}

// control held.
void make_shared_ring() {
  // Release pairs with the acquire loads of shared_ring: the ring is constructed.
  if (!shared_ring.load(std::memory_order_relaxed))
    shared_ring.store(new trace_ring, std::memory_order_release);
}

// control held. Turns recording on for the running processors and later ones.
void start_locked() GORO_REQUIRES(control) {
  trace_clock_init();
  make_shared_ring();
  forget_recorded();
  trace_on.store(true, std::memory_order_seq_cst);  // read by trace_attach under the lock
  auto& s = sched();
  guard g(s.lock);
  for (processor* p : s.ps) trace_attach(p);
}

void write_file_locked() GORO_REQUIRES(control) {
  if (trace_path.empty()) return;
  std::FILE* f = std::fopen(trace_path.c_str(), "w");
  if (!f) {
    std::string msg =
        fmt::format("goro: GORO_TRACE={}: cannot write: {}\n", trace_path, std::strerror(errno));
    std::fwrite(msg.data(), 1, msg.size(), stderr);
    return;
  }
  write_trace(f);
  std::fclose(f);
}

}  // namespace

void trace_put_shared(trace_kind kind, std::uint64_t fiber, std::uint64_t arg) noexcept {
  // Acquire pairs with the release store in make_shared_ring().
  trace_ring* r = shared_ring.load(std::memory_order_acquire);
  if (!r) return;
  shared_lock.lock();
  r->put(kind, fiber, arg);
  shared_lock.unlock();
}

void trace_attach(processor* p) {
  if (!trace_on.load(std::memory_order_seq_cst) || p->id >= max_trace_procs) return;
  // Release pairs with the acquire load in trace_put(): the ring is constructed.
  p->trace.store(ring_for(p->id), std::memory_order_release);
}

void trace_start_from_options(const char* path) {
  guard c(control);
  trace_path.clear();  // a file of an earlier start is not written again
  if (!path || !*path) return;
  // Fail early (an option error at start) rather than after the program ran.
  std::FILE* f = std::fopen(path, "w");
  if (!f)
    throw option_error(fmt::format("goro: GORO_TRACE={}: cannot open for writing: {}", path,
                                   std::strerror(errno)));
  std::fclose(f);
  trace_path = path;
  trace_clock_init();
  make_shared_ring();
  forget_recorded();
  trace_on.store(true, std::memory_order_seq_cst);  // processors attach as they are made
}

void trace_at_shutdown() {
  guard c(control);
  write_file_locked();
}

void trace_at_dump() {
  guard c(control);
  write_file_locked();
}

void for_each_trace_ring(void (*fn)(int tid, const trace_ring& r, void* arg), void* arg) {
  for (int i = 0; i < max_trace_procs; ++i)
    if (trace_ring* r = rings[i].load(std::memory_order_acquire))  // pairs with ring_for
      fn(i, *r, arg);
  // Pairs with the release store in make_shared_ring().
  if (trace_ring* r = shared_ring.load(std::memory_order_acquire)) fn(shared_trace_tid, *r, arg);
}

}  // namespace goro::detail

namespace goro::trace {

using namespace goro::detail;

void start() {
  guard c(control);
  start_locked();
}

void stop() {
  guard c(control);
  trace_on.store(false, std::memory_order_seq_cst);
  auto& s = sched();
  guard g(s.lock);
  // Relaxed: the owners stop recording at their next event; rings stay allocated.
  for (processor* p : s.ps) p->trace.store(nullptr, std::memory_order_relaxed);
}

bool recording() noexcept { return trace_on.load(std::memory_order_relaxed); }

std::uint64_t overwritten() noexcept {
  std::uint64_t n = 0;
  for (auto& slot : rings) {
    if (trace_ring* r = slot.load(std::memory_order_acquire)) {  // pairs with ring_for
      const std::uint64_t kept = r->head() - r->from.load(std::memory_order_relaxed);
      if (kept > trace_ring::capacity) n += kept - trace_ring::capacity;
    }
  }
  return n;
}

}  // namespace goro::trace
