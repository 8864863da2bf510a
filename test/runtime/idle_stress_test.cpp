// An idle runtime burns no CPU: with every fiber parked, machines sleep on their futexes
// and nothing wakes them. Counts only, none of which depends on the machine's load: goro's
// machine wake-ups and sleeps, and each machine thread's own context switches (from /proc),
// which stay exactly where they were while it sleeps. The sleep below is the quiet period
// under test, not a synchronisation: any length gives the same verdict. (The idle figures
// per second, for the whole process, are the perf suite's idle workload.)
#include <chrono>
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
  for (int i = 0; i < n; ++i) goro::go([&] { parked.done(); gate.wait(); finished.done(); });
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

GORO_INSTANTIATE(IdleTest, 1, 2, 4);

}  // namespace
