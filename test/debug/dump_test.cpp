// goro::list_fibers / dump / leaked_fibers: names, states, wait reasons, spawn sites, and
// backtraces of parked fibers that reach each fiber's own function.
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <gmock/gmock.h>

#include <goro/debug.hpp>
#include <goro/goro.hpp>
#include <goro/net/tcp.hpp>
#include <goro/stats.hpp>

#include "goro_test.hpp"

namespace {

using ::testing::HasSubstr;
using DumpTest = goro_test::RuntimeTest;

// Each fiber blocks in a function of its own, named to be found in its backtrace (each does
// something after the blocking call, so that the call is not a tail call that leaves no
// frame).
std::atomic<int> after_wait{0};
[[gnu::noinline]] int wait_for_order(goro::chan<int> orders) {
  int v = *orders.recv();
  after_wait.fetch_add(1);
  return v;
}
[[gnu::noinline]] void hold_the_ledger(goro::mutex& ledger) {
  ledger.lock();
  ledger.unlock();
  after_wait.fetch_add(1);
}
[[gnu::noinline]] void wait_for_the_crew(goro::wait_group& crew) {
  crew.wait();
  after_wait.fetch_add(1);
}

const goro::fiber_info* find(const std::vector<goro::fiber_info>& fs, const std::string& name) {
  auto it = std::find_if(fs.begin(), fs.end(), [&](auto& f) { return f.name == name; });
  return it == fs.end() ? nullptr : &*it;
}

// Until every named fiber is parked (each announced that it is about to park; the park
// itself follows at once). Not a sleep: a bounded poll on the runtime's own state.
void until_parked(std::initializer_list<std::string> names) {
  for (;;) {
    auto fs = goro::list_fibers(false);
    if (std::all_of(names.begin(), names.end(), [&](auto& n) {
          auto* f = find(fs, n);
          return f && f->state == "parked";
        }))
      return;
    std::this_thread::yield();
  }
}

bool has_frame(const goro::fiber_info& f, const std::string& fn) {
  return std::any_of(f.backtrace.begin(), f.backtrace.end(),
                     [&](auto& frame) { return frame.find(fn) != std::string::npos; });
}

TEST_P(DumpTest, EveryFiberWithItsReasonSpawnSiteAndOwnFrame) {
  goro::chan<int> orders(0);
  goro::mutex ledger;
  goro::wait_group crew;
  crew.add(1);
  ledger.lock();
  auto a = goro::spawn({.name = "orders"}, [orders] { return wait_for_order(orders); });
  auto b = goro::spawn({.name = "ledger"}, [&] { hold_the_ledger(ledger); });
  auto c = goro::spawn({.name = "crew"}, [&] { wait_for_the_crew(crew); });
  until_parked({"orders", "ledger", "crew"});

  auto fs = goro::list_fibers();
  ASSERT_EQ(fs.size(), 3u);
  const struct {
    const char* name;
    const char* reason;
    const char* frame;
  } want[] = {{"orders", "chan receive", "wait_for_order"},
              {"ledger", "mutex lock", "hold_the_ledger"},
              {"crew", "wait_group wait", "wait_for_the_crew"}};
  for (auto& w : want) {
    auto* f = find(fs, w.name);
    ASSERT_NE(f, nullptr) << w.name;
    EXPECT_EQ(f->state, "parked");
    EXPECT_EQ(f->wait_reason, w.reason);
    EXPECT_THAT(f->spawned_at, HasSubstr("TestBody")) << w.name;  // this test spawned it
    EXPECT_TRUE(has_frame(*f, w.frame)) << w.name << ": no frame " << w.frame << " in\n"
                                        << goro::format_fibers({*f});
    EXPECT_LT(f->waiting, std::chrono::hours(1));
  }
  EXPECT_LT(fs[0].id, fs[1].id);  // by id
  const std::string text = goro::format_fibers(fs);
  EXPECT_THAT(text, ::testing::ContainsRegex("fiber [0-9]+ \\(orders\\) \\[chan receive\\]:\n"
                                             "  spawned at [^\n]*TestBody[^\n]*\n"
                                             "  #0 "));

  orders.send(7);
  ledger.unlock();
  crew.done();
  EXPECT_EQ(a.join(), 7);
  b.join();
  c.join();
  EXPECT_TRUE(goro::list_fibers().empty());
}

TEST_P(DumpTest, LeakedFibersNamesTheOneStillBlocked) {
  goro::chan<int> never(0);
  auto leak = goro::spawn({.name = "leaky"}, [never] { never.recv(); });
  until_parked({"leaky"});
  auto left = goro::leaked_fibers();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].name, "leaky");
  EXPECT_EQ(left[0].wait_reason, "chan receive");
  EXPECT_THAT(left[0].spawned_at, HasSubstr("TestBody"));
  never.close();
  leak.join();
  EXPECT_TRUE(goro::leaked_fibers().empty());
  // From inside a fiber, the caller is not a leak.
  EXPECT_TRUE(goro::spawn([] { return goro::leaked_fibers(); }).join().empty());
}

// Wake-ups racing with dumps: a dump holds a parked fiber while it reads its stack; the
// wake-up waits for it, and no wake-up is lost (every round trip completes).
TEST_P(DumpTest, DumpsRacingWithWakeUpsLoseNothing) {
  goro::chan<int> ping(0), pong(0);
  constexpr int rounds = 2000;
  auto echo = goro::spawn({.name = "echo"}, [=] {
    for (int i = 0; i < rounds; ++i) pong.send(*ping.recv());
  });
  std::atomic<bool> stop{false};
  std::thread dumper([&] {
    while (!stop.load()) (void)goro::list_fibers(true);
  });
  long sum = 0;
  auto player = goro::spawn([&] {
    for (int i = 0; i < rounds; ++i) {
      ping.send(i);
      sum += *pong.recv();
    }
  });
  player.join();
  echo.join();
  stop.store(true);
  dumper.join();
  EXPECT_EQ(sum, static_cast<long>(rounds) * (rounds - 1) / 2);
}

std::uint64_t pending_timers() {
  std::uint64_t n = 0;
  for (auto& p : goro::stats().processors) n += p.timers_pending;
  return n;
}

// stats(): fibers by state, pending timers, machines in goro::blocking, fibers readied by
// the network poller.
TEST_P(DumpTest, StatsCountFibersByStateTimersBlockingCallsAndPollerWakeUps) {
  goro::chan<int> gate(0);
  auto a = goro::spawn({.name = "a"}, [gate] { gate.recv(); });
  auto b = goro::spawn({.name = "b"}, [gate] { gate.recv(); });
  until_parked({"a", "b"});
  auto st = goro::stats();
  EXPECT_EQ(st.fibers_parked, 2);
  EXPECT_EQ(st.fibers_running + st.fibers_runnable, 0);
  gate.close();
  a.join();
  b.join();

  const auto timers_before = pending_timers();
  {
    goro::timer t(std::chrono::hours(1));
    EXPECT_EQ(pending_timers(), timers_before + 1);
    EXPECT_TRUE(t.stop());
  }
  EXPECT_EQ(pending_timers(), timers_before);

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto blocker = goro::spawn([fd = fds[0]] {
    char c;
    return goro::blocking([&] { return ::read(fd, &c, 1); });
  });
  auto blocking_in_list = [](const goro::runtime_stats& s) {
    return std::count_if(s.machine_list.begin(), s.machine_list.end(),
                         [](const auto& m) { return m.state == goro::machine_state::blocking; });
  };
  for (;;) {  // until the blocker's machine is seen inside the call, in the count and the list
    auto s = goro::stats();
    if (s.blocking_machines == 1 && blocking_in_list(s) == 1) break;
    EXPECT_LE(blocking_in_list(s), 1);
    std::this_thread::yield();
  }
  {
    auto s = goro::stats();
    EXPECT_EQ(s.machine_list.size(), s.machines);
    for (std::size_t i = 0; i < s.machine_list.size(); ++i) {
      EXPECT_EQ(s.machine_list[i].id, static_cast<int>(i));
      EXPECT_GT(s.machine_list[i].tid, 0);
    }
  }
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  EXPECT_EQ(blocker.join(), 1);
  EXPECT_EQ(goro::stats().blocking_machines, 0);
  EXPECT_EQ(blocking_in_list(goro::stats()), 0);  // join orders the machine's exit before
  ::close(fds[0]);
  ::close(fds[1]);

  auto ln = goro::net::listen("127.0.0.1:0");
  goro::chan<int> accepted(1);  // buffered: the reader's next park is its read
  auto server = goro::spawn({.name = "reader"}, [&] {
    auto s = ln.accept();
    accepted.send(1);
    char c = 0;
    return s.read(&c, 1);
  });
  auto conn = goro::net::dial(ln.local_address().to_string());
  accepted.recv();
  for (;;) {  // until the reader is parked in its read, on the poller
    auto fs = goro::list_fibers(false);
    auto* r = find(fs, "reader");
    if (r && r->state == "parked" && r->wait_reason == "io wait") break;
    std::this_thread::yield();
  }
  const auto ready_before = goro::stats().netpoll_ready;
  conn.write_all("y");
  EXPECT_EQ(server.join(), 1u);
  EXPECT_GT(goro::stats().netpoll_ready, ready_before);
}

GORO_INSTANTIATE(DumpTest, 1, 2);

}  // namespace
