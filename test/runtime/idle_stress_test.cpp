// An idle runtime burns no CPU: with every fiber parked, machines sleep on their futexes
// and nothing wakes them. Bounds counts (machine wake-ups, sleeps, context switches) over
// a quiet period; the sleep below is the quiet period under test, not a synchronisation.
#include <chrono>
#include <thread>

#include <sys/resource.h>

#include "goro_test.hpp"

namespace {

using IdleTest = goro_test::RuntimeTest;

long context_switches() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_nvcsw + ru.ru_nivcsw;
}

TEST_P(IdleTest, ParkedFibersCostNoWakeups) {
  goro::wait_group gate, parked, finished;
  gate.add(1);
  const int n = 1000;
  parked.add(n);
  finished.add(n);
  for (int i = 0; i < n; ++i) goro::go([&] { parked.done(); gate.wait(); finished.done(); });
  parked.wait();
  // Wait (without sleeping) until the runtime has settled: every processor idle, no machine
  // spinning, every machine asleep, and no wake-up or sleep across 1000 checks in a row
  // (a machine woken just before the first check needs its spin to end and to sleep).
  auto idle = [&](const goro::runtime_stats& st) {
    return st.idle_processors == GetParam() && st.spinning_machines == 0 &&
           st.idle_machines == static_cast<int>(st.machines);
  };
  goro::runtime_stats before = goro::stats();
  for (int stable = 0; stable < 1000;) {
    std::this_thread::yield();
    auto st = goro::stats();
    bool same = st.machine_wakeups == before.machine_wakeups &&
                st.machine_sleeps == before.machine_sleeps;
    stable = idle(st) && same ? stable + 1 : 0;
    before = st;
  }
  long cs_before = context_switches();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the quiet period
  auto after = goro::stats();
  long cs_after = context_switches();
  EXPECT_EQ(after.machine_wakeups, before.machine_wakeups);
  EXPECT_EQ(after.machine_sleeps, before.machine_sleeps);
  // The test thread's own sleep costs a switch or two; idle machines add none. Under the
  // sanitizers their runtime's own background thread wakes periodically (TSan: about
  // every 100 ms) and is counted too: it gets a margin; goro's own counts above stay exact.
  EXPECT_LE(cs_after - cs_before, goro_test::sanitizer_tier() ? 24 : 4);
  gate.done();
  finished.wait();
}

GORO_INSTANTIATE(IdleTest, 1, 2, 4);

}  // namespace
