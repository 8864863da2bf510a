// An idle runtime burns no CPU: with every fiber parked, machines sleep on their futexes
// and nothing wakes them. Counts only, none of which depends on the machine's load: goro's
// machine wake-ups and sleeps, and each machine thread's own context switches (from /proc),
// which stay exactly where they were while it sleeps. The sleep below is the quiet period
// under test, not a synchronisation: any length gives the same verdict. (The idle figures
// per second, for the whole process, are the perf suite's idle workload.)
#include <chrono>
#include <cstdint>
#include <map>
#include <thread>

#include "goro_test.hpp"

namespace {

using IdleTest = goro_test::RuntimeTest;

TEST_P(IdleTest, ParkedFibersCostNoWakeups) {
  goro::wait_group gate, parked, finished;
  gate.add(1);
  const int n = 1000;
  parked.add(n);
  finished.add(n);
  for (int i = 0; i < n; ++i)
    goro::go([&] {
      parked.done();
      gate.wait();
      finished.done();
    });
  goro_test::bounded("every fiber started", [&] { parked.wait(); });
  // Wait until the runtime has settled: every processor idle, no machine spinning, every
  // machine's thread asleep in a kernel wait, and none of them switched since the check
  // before (a thread that only passed through a short wait, such as a contended lock on its
  // way to the futex, shows as asleep for one check and has moved on by the next).
  std::map<int, long> last_seen;  // by machine thread: its switches at the check before
  goro_test::wait_until("every machine asleep", [&] {
    auto st = goro::stats();
    if (st.idle_processors != GetParam() || st.spinning_machines != 0 ||
        st.idle_machines != static_cast<int>(st.machines))
      return false;
    std::map<int, long> seen;
    for (auto& m : st.machine_list) {
      if (!goro_test::thread_asleep(m.tid)()) return false;
      seen[m.tid] = goro_test::thread_switches(m.tid);
      if (!goro_test::thread_asleep(m.tid)()) return false;  // asleep on both sides of the read
    }
    const bool settled = seen == last_seen;
    last_seen = std::move(seen);
    return settled;
  });
  goro::runtime_stats before = goro::stats();
  std::map<int, long> switches;  // by machine thread
  for (auto& m : before.machine_list) switches[m.tid] = goro_test::thread_switches(m.tid);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the quiet period
  auto after = goro::stats();
  EXPECT_EQ(after.machine_wakeups, before.machine_wakeups);
  EXPECT_EQ(after.machine_sleeps, before.machine_sleeps);
  EXPECT_EQ(after.machines, before.machines);
  for (auto& [tid, n] : switches)
    EXPECT_EQ(goro_test::thread_switches(tid), n) << "machine thread " << tid << " woke";
  gate.done();
  goro_test::bounded("every fiber passed the gate", [&] { finished.wait(); });
}

TEST_P(IdleTest, AFiberThatSleepsAloneWakesNoOtherMachineToWatchItsTimer) {
  // R3: when the only busy processor goes idle holding a sleeper's timer, the machine that
  // gives it back takes the timed wait itself. It used to wake an idle machine first, which
  // found the role free and went back to sleep: a wake-up for nothing each time a runtime
  // went idle with a timer pending (4 wake-ups a round at P >= 2 instead of 3).
  // A round, from an idle runtime: a plain thread opens the fiber's gate (one wake-up), the
  // machine that takes the fiber wakes a spinner beside it (Go's wakep: one more, if a
  // processor is idle), the fiber waits until that spinner is asleep again, then sleeps
  // 1 ms alone; the timed waiter takes a processor back at the deadline and wakes a spinner
  // again (one more). Counts, not times: a busy machine makes a spinner find work sooner
  // or a sleeper wake later, it adds no wake-up.
  const int rounds = 10;
  const std::uint64_t per_round = GetParam() == 1 ? 1 : 3;
  auto settled = [&] {
    auto st = goro::stats();
    if (st.idle_processors != GetParam() || st.spinning_machines != 0 ||
        st.idle_machines != static_cast<int>(st.machines))
      return false;
    for (auto& m : st.machine_list)
      if (!goro_test::thread_asleep(m.tid)()) return false;
    return true;
  };
  auto others_asleep = [] {  // every machine but the caller's
    auto st = goro::stats();
    return st.spinning_machines == 0 && st.idle_machines + 1 == static_cast<int>(st.machines);
  };
  for (int r = 0; r < rounds; ++r) {
    goro::wait_group gate, done;
    gate.add(1);
    done.add(1);
    goro::go([&] {
      gate.wait();
      while (!others_asleep()) {
      }
      goro::this_fiber::sleep_for(std::chrono::milliseconds(1));
      done.done();
    });
    goro_test::wait_until("the fiber waits at its gate, every machine asleep", settled);
    const std::uint64_t before = goro::stats().machine_wakeups;
    gate.done();
    goro_test::bounded("the fiber slept", [&] { done.wait(); });
    goro_test::wait_until("every machine asleep again", settled);
    EXPECT_LE(goro::stats().machine_wakeups - before, per_round) << "round " << r;
  }
}

GORO_INSTANTIATE(IdleTest, 1, 2, 4);

}  // namespace
