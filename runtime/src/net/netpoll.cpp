// The network poller (see netpoll.hpp for N1-N3).
#include "net/netpoll.hpp"

#include <cerrno>
#include <ctime>
#include <limits>
#include <mutex>
#include <system_error>
#include <vector>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <goro/detail/futex.hpp>

#include "chaos.hpp"
#include "debug/fatal.hpp"
#include "scheduler.hpp"
#include "trace/record.hpp"

namespace goro::detail {

namespace {

constexpr std::uintptr_t slot_ready = 1, slot_waiting = 2;  // N1; else 0 or a fiber*

struct poller {
  int epfd = -1;
  int wakefd = -1;
  std::atomic<bool> wake_pending{false};  // an eventfd write not yet consumed
  std::atomic<int> waiters{0};            // N3
  std::mutex pool_lock;                   // guards the pool below
  std::vector<poll_desc*> all;            // N2: never freed
  poll_desc* free = nullptr;
};

std::atomic<poller*> g_poller{nullptr};
std::mutex init_lock;

poller& instance() {
  // Acquire pairs with the release store below: a poller seen is fully built.
  if (poller* p = g_poller.load(std::memory_order_acquire)) return *p;
  std::lock_guard g(init_lock);
  if (poller* p = g_poller.load(std::memory_order_relaxed)) return *p;
  auto* p = new poller;  // never destroyed: machines may poll until the process ends
  p->epfd = ::epoll_create1(EPOLL_CLOEXEC);
  p->wakefd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (p->epfd < 0 || p->wakefd < 0)
    throw std::system_error(errno, std::generic_category(), "goro: netpoll: epoll/eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;  // the wake-up eventfd (no poll_desc is at address 0)
  if (::epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->wakefd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "goro: netpoll: epoll_ctl");
  g_poller.store(p, std::memory_order_release);
  return *p;
}

// epoll's data: the poll_desc's address in the low 48 bits, its sequence in the high 16.
std::uint64_t tag(poll_desc* pd, std::uint32_t seq) {
  return reinterpret_cast<std::uintptr_t>(pd) | (std::uint64_t{seq & 0xffff} << 48);
}

std::atomic<std::uintptr_t>& slot(poll_desc* pd, io_mode m) {
  return m == io_mode::read ? pd->rg : pd->wg;
}

// N1: takes the parked fiber out of the slot (if any) and readies it; true if it did.
// `io`: an event (the slot becomes ready) rather than a deadline, close or deadline change
// (the slot becomes 0). Callers that changed closing or a deadline did so (seq_cst) before
// this load, and a waiter re-reads both (seq_cst) after its CAS to waiting: one of the two
// sees the other (Dekker), so a waiter never parks past a close or an expired deadline.
bool unblock(poll_desc* pd, io_mode m, bool io) {
  auto& s = slot(pd, m);
  std::uintptr_t old = s.load(std::memory_order_seq_cst);
  for (;;) {
    if (old == slot_ready) return false;  // already signalled
    if (old == 0 && !io) return false;    // nobody to tell
    // The fiber pointer read here was published by the waiter's commit (release).
    if (s.compare_exchange_weak(old, io ? slot_ready : 0, std::memory_order_seq_cst)) break;
  }
  if (old == 0 || old == slot_waiting) return false;  // waiting: its commit fails (N1)
  GORO_CHAOS_POINT(netpoll_unblock);
  // N4: readied first, uncounted after: the fiber is queued before it stops counting as a
  // waiter, so the deadlock check (D3) never sees it in neither place.
  ready(reinterpret_cast<fiber*>(old));
  instance().waiters.fetch_sub(1, std::memory_order_seq_cst);
  return true;
}

struct commit_arg {
  poll_desc* pd;
  io_mode mode;
  fiber* f;
};

// Runs after the waiter's switch-out (park's unlock): publish the fiber in the slot, or,
// if an event, a deadline or a close came first, ready it at once (N1).
void commit(void* a) {
  auto* c = static_cast<commit_arg*>(a);
  auto& s = slot(c->pd, c->mode);
  std::uintptr_t expected = slot_waiting;
  // N3: counted before the fiber can be found in the slot (seq_cst, as the deadlock check
  // reads it).
  instance().waiters.fetch_add(1, std::memory_order_seq_cst);
  // seq_cst: publishes the fiber to unblock()'s CAS, in N1's single order of slot changes.
  if (!s.compare_exchange_strong(expected, reinterpret_cast<std::uintptr_t>(c->f),
                                 std::memory_order_seq_cst)) {
    ready(c->f);  // N4
    instance().waiters.fetch_sub(1, std::memory_order_seq_cst);
  }
}

struct io_timer : timer {
  poll_desc* pd;
  io_mode mode;
};

void fire_io_timer(timer* t) {
  auto* it = static_cast<io_timer*>(t);
  poll_desc* pd = it->pd;
  io_mode mode = it->mode;
  t->done();  // T3: the waiter may return from here on; pd outlives it (N2)
  unblock(pd, mode, false);
}

// N8: whether a deadline passed, mostly without the precise clock. The coarse clock c
// trails the precise one by less than its resolution r while the kernel's tick is on time
// (c <= now < c + r): c >= deadline means passed, deadline - c > 2r means not yet (one tick
// of margin for a late one), and only a deadline inside that window reads the precise
// clock. A tick later still (a vCPU the host did not run) can let one call through a
// deadline passed less than that delay ago, as a Go deadline timer that has not fired yet
// does; a wait never overstays, as its timer runs on the precise clock.
std::int64_t coarse_window_ns() noexcept {
  static const std::int64_t window = [] {
    timespec res{};
    ::clock_getres(CLOCK_MONOTONIC_COARSE, &res);
    return 2 * (std::int64_t{res.tv_sec} * 1'000'000'000 + res.tv_nsec);
  }();
  return window;
}

bool expired(std::int64_t deadline) {
  if (deadline < 0) return false;
  const std::int64_t c = coarse_monotonic_ns();
  if (c >= deadline) return true;
  if (deadline - c > coarse_window_ns()) return false;
  return monotonic_ns() >= deadline;
}

bool stop_requested(const std::atomic<bool>* stop) {
  return stop && stop->load(std::memory_order_seq_cst);  // pairs with the stopper's store
}

io_wait wait_thread(poll_desc* pd, io_mode mode, const std::atomic<bool>* stop) {
  for (;;) {
    if (pd->closing.load(std::memory_order_acquire)) return io_wait::closed;
    if (stop_requested(stop)) return io_wait::stopped;
    const std::int64_t deadline =
        (mode == io_mode::read ? pd->rdeadline : pd->wdeadline).load(std::memory_order_acquire);
    if (expired(deadline)) return io_wait::timeout;
    int timeout_ms = -1;
    if (deadline >= 0)  // a far deadline is many waits of poll()'s longest (no int overflow)
      timeout_ms = static_cast<int>(std::min<std::int64_t>(
          (deadline - monotonic_ns()) / 1'000'000 + 1, std::numeric_limits<int>::max()));
    if (stop && (timeout_ms < 0 || timeout_ms > 10)) timeout_ms = 10;  // see netpoll_wait
    pollfd p{pd->fd, static_cast<short>(mode == io_mode::read ? POLLIN : POLLOUT), 0};
    int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) return io_wait::ready;  // readiness, an error or a hang-up: retry the call
    if (n < 0 && errno != EINTR) return io_wait::ready;  // let the operation report it
  }
}

}  // namespace

poll_desc* netpoll_open(int fd) {
  poller& p = instance();
  poll_desc* pd;
  {
    std::lock_guard g(p.pool_lock);
    if (p.free) {
      pd = p.free;
      p.free = pd->next_free;
    } else {
      pd = new poll_desc;
      p.all.push_back(pd);
    }
  }
  pd->fd = fd;
  pd->rg.store(0, std::memory_order_relaxed);
  pd->wg.store(0, std::memory_order_relaxed);
  pd->rdeadline.store(-1, std::memory_order_relaxed);
  pd->wdeadline.store(-1, std::memory_order_relaxed);
  pd->closing.store(false, std::memory_order_relaxed);
  // Release: publishes pd (new or reused) to the machine that decodes its events and loads
  // seq with acquire; the kernel orders the two, but only this pair says so to TSan.
  const std::uint32_t seq = pd->seq.load(std::memory_order_relaxed);
  pd->seq.store(seq, std::memory_order_release);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = tag(pd, seq);
  if (::epoll_ctl(p.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int e = errno;
    std::lock_guard g(p.pool_lock);
    pd->next_free = p.free;
    p.free = pd;
    throw std::system_error(e, std::generic_category(), "goro: netpoll: register");
  }
  return pd;
}

void netpoll_close(poll_desc* pd) noexcept {
  poller& p = instance();
  pd->closing.store(true, std::memory_order_seq_cst);  // before unblock's load (Dekker)
  pd->seq.fetch_add(1, std::memory_order_acq_rel);     // N2: events in flight are stale now
  ::epoll_ctl(p.epfd, EPOLL_CTL_DEL, pd->fd, nullptr);
  unblock(pd, io_mode::read, false);
  unblock(pd, io_mode::write, false);
}

void netpoll_free(poll_desc* pd) noexcept {
  poller& p = instance();
  std::lock_guard g(p.pool_lock);
  pd->next_free = p.free;
  p.free = pd;
}

io_wait netpoll_check(poll_desc* pd, io_mode mode) noexcept {
  if (pd->closing.load(std::memory_order_acquire)) return io_wait::closed;
  if (expired(
          (mode == io_mode::read ? pd->rdeadline : pd->wdeadline).load(std::memory_order_acquire)))
    return io_wait::timeout;
  return io_wait::ready;
}

void netpoll_set_deadline(poll_desc* pd, io_mode mode, std::int64_t deadline_ns) noexcept {
  (mode == io_mode::read ? pd->rdeadline : pd->wdeadline)
      .store(deadline_ns, std::memory_order_seq_cst);  // before unblock's load (Dekker)
  unblock(pd, mode, false);                            // a parked waiter re-reads its deadline
}

void netpoll_interrupt(poll_desc* pd, io_mode mode) noexcept { unblock(pd, mode, false); }

io_wait netpoll_wait(poll_desc* pd, io_mode mode, const std::atomic<bool>* stop) {
  machine* m = current_m();
  fiber* f = m ? m->current : nullptr;
  if (!f) return wait_thread(pd, mode, stop);
  auto& s = slot(pd, mode);
  auto& dl = mode == io_mode::read ? pd->rdeadline : pd->wdeadline;
  for (;;) {
    if (pd->closing.load(std::memory_order_acquire)) return io_wait::closed;
    if (stop_requested(stop)) return io_wait::stopped;
    const std::int64_t deadline = dl.load(std::memory_order_acquire);
    if (expired(deadline)) return io_wait::timeout;
    std::uintptr_t old = s.load(std::memory_order_acquire);
    if (old == slot_ready) {
      s.store(0, std::memory_order_relaxed);  // consumed; only this waiter touches it now
      return io_wait::ready;
    }
    GORO_CHECK(old == 0, "goro: two fibers wait to {} on descriptor {} at once",
               mode == io_mode::read ? "read" : "write", pd->fd);
    if (!s.compare_exchange_strong(old, slot_waiting, std::memory_order_seq_cst)) continue;
    // Re-read closing, the deadline and the stop flag after publishing `waiting` (Dekker
    // with unblock's callers: netpoll_close, netpoll_set_deadline, netpoll_interrupt); if
    // one changed, withdraw (unless an event made the slot ready).
    if (pd->closing.load(std::memory_order_seq_cst) ||
        dl.load(std::memory_order_seq_cst) != deadline || stop_requested(stop)) {
      std::uintptr_t w = slot_waiting;
      s.compare_exchange_strong(w, 0, std::memory_order_seq_cst);
      continue;
    }
    io_timer t;
    timer_heap* heap = nullptr;
    if (deadline >= 0) {
      t.when = deadline;
      t.fire = fire_io_timer;
      t.pd = pd;
      t.mode = mode;
      heap = timer_start(&t);
    }
    commit_arg c{pd, mode, current_m()->current};
    park(wait_reason::io, commit, &c);
    if (heap) heap->remove(&t);  // T3: gone from the heap, or its fire() is done
    // Woken: the slot holds ready (an event), or 0 (deadline, close, deadline change,
    // stop). Loop: closing, the stop flag and the deadline are re-read; ready is consumed.
  }
}

int netpoll_waiters() noexcept {
  poller* p = g_poller.load(std::memory_order_acquire);
  return p ? p->waiters.load(std::memory_order_seq_cst) : 0;
}

void netpoll_abandon_waiters() noexcept {
  poller* p = g_poller.load(std::memory_order_acquire);
  if (!p) return;
  std::lock_guard g(p->pool_lock);
  for (poll_desc* pd : p->all) {
    for (auto* s : {&pd->rg, &pd->wg}) {
      std::uintptr_t old = s->load(std::memory_order_seq_cst);
      // N7: a fiber's pointer (0, ready and waiting are left alone; no commit is in flight
      // with the machines stopped). seq_cst: in N1's single order of slot changes, against
      // an unblock() from a plain thread closing the descriptor meanwhile.
      if (old != 0 && old != slot_ready && old != slot_waiting)
        s->compare_exchange_strong(old, 0, std::memory_order_seq_cst);
    }
  }
  p->waiters.store(0, std::memory_order_seq_cst);  // N7: nobody is committed any more
}

namespace {
std::atomic<std::uint64_t> readied_total{0};  // stats only: relaxed
std::atomic<std::int64_t> last_poll{0};       // N5
}  // namespace

std::int64_t netpoll_last_poll() noexcept { return last_poll.load(std::memory_order_relaxed); }

std::uint64_t netpoll_readied_total() noexcept {
  return readied_total.load(std::memory_order_relaxed);
}

bool netpoll_active() noexcept { return g_poller.load(std::memory_order_acquire) != nullptr; }

int netpoll(std::int64_t deadline_ns) {
  poller* p = g_poller.load(std::memory_order_acquire);
  if (!p) return 0;
  epoll_event evs[128];
  timespec ts{}, *tsp = &ts;  // deadline 0: poll
  if (deadline_ns < 0) {
    tsp = nullptr;
  } else if (deadline_ns > 0) {
    std::int64_t d = deadline_ns - monotonic_ns();
    if (d < 0) d = 0;
    ts.tv_sec = d / 1'000'000'000;
    ts.tv_nsec = d % 1'000'000'000;
  }
  // N5: 0 while blocked (somebody is polling), the time of the look otherwise. Relaxed: a
  // hint for the monitor, which at worst polls once more than needed.
  if (deadline_ns != 0) last_poll.store(0, std::memory_order_relaxed);
  int n = ::epoll_pwait2(p->epfd, evs, 128, tsp, nullptr);
  last_poll.store(coarse_monotonic_ns(), std::memory_order_relaxed);
  if (n < 0) return 0;  // EINTR: the caller loops
  int readied = 0;
  for (int i = 0; i < n; ++i) {
    std::uint64_t d = evs[i].data.u64;
    if (d == 0) {  // the wake-up eventfd
      // N6: only a blocking poll (the poller's) consumes it. It is level-triggered: a
      // non-blocking look by a busy machine or the monitor leaves it for the poller, whose
      // wake-up it is (taking it would leave the poller asleep with its note set).
      if (deadline_ns == 0) continue;
      std::uint64_t v;
      (void)!::read(p->wakefd, &v, sizeof v);
      p->wake_pending.store(false, std::memory_order_release);
      continue;
    }
    auto* pd = reinterpret_cast<poll_desc*>(d & ((std::uint64_t{1} << 48) - 1));
    if ((pd->seq.load(std::memory_order_acquire) & 0xffff) != (d >> 48)) continue;  // N2
    const std::uint32_t e = evs[i].events;
    const std::uint32_t err = EPOLLERR | EPOLLHUP;
    if (e & (EPOLLIN | EPOLLRDHUP | err)) readied += unblock(pd, io_mode::read, true);
    if (e & (EPOLLOUT | err)) readied += unblock(pd, io_mode::write, true);
  }
  if (readied > 0) {
    readied_total.fetch_add(static_cast<std::uint64_t>(readied), std::memory_order_relaxed);
    machine* m = current_m();  // the blocked poller has no processor: the shared ring
    trace_put_any(m ? m->p : nullptr, trace_kind::netpoll, 0, static_cast<std::uint64_t>(readied));
  }
  return readied;
}

void netpoll_break() noexcept {
  poller* p = g_poller.load(std::memory_order_acquire);
  if (!p) return;
  bool expected = false;
  // One write until the poller consumes it: acq_rel pairs with the release store there.
  if (!p->wake_pending.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) return;
  std::uint64_t one = 1;
  (void)!::write(p->wakefd, &one, sizeof one);
}

}  // namespace goro::detail
