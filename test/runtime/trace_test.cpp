#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include <unistd.h>

#include <goro/debug.hpp>
#include <goro/net/tcp.hpp>
#include <goro/trace.hpp>

#include "goro_test.hpp"
#include "json_lite.hpp"
#include "monitor.hpp"

namespace {

using goro_test::json::value;

// What a trace holds, once checked for well-formedness (check_trace).
struct trace_summary {
  std::map<std::string, int> instants;           // by name
  std::map<std::string, std::uint64_t> counts;   // sum of args.count by instant name
  std::set<std::uint64_t> spawned, ran, exited;  // fiber ids
  std::map<std::string, int> park_reasons;       // slices that ended in a park
  int slices = 0;
  std::set<int> tracks;
};

// Every event has its fields; per track (tid) timestamps never go backwards and run
// slices never overlap. Fails the test otherwise; fills `sum`.
void check_into(const std::string& text, trace_summary& sum) {
  value root;
  try {
    root = goro_test::json::parse(text);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  EXPECT_TRUE(root.is_object());
  EXPECT_TRUE(root.has("traceEvents"));
  ASSERT_TRUE(root.has("traceEvents") && root["traceEvents"].is_array());
  constexpr double eps = 0.002;  // ts and dur are each rounded to 1 ns
  std::map<int, double> last_ts, last_end;
  for (const value& e : root["traceEvents"].arr()) {
    ASSERT_TRUE(e.is_object());
    for (const char* k : {"name", "ph", "pid", "tid"}) ASSERT_TRUE(e.has(k)) << k;
    ASSERT_TRUE(e["name"].is_string());
    ASSERT_TRUE(e["pid"].is_number());
    ASSERT_TRUE(e["tid"].is_number());
    const std::string ph = e["ph"].str();
    const int tid = static_cast<int>(e["tid"].num());
    ASSERT_TRUE(e.has("args") && e["args"].is_object()) << e["name"].str();
    if (ph == "M") continue;
    ASSERT_TRUE(ph == "X" || ph == "i") << ph;
    ASSERT_TRUE(e.has("ts") && e["ts"].is_number());
    const double ts = e["ts"].num();
    sum.tracks.insert(tid);
    if (last_ts.count(tid)) {
      EXPECT_GE(ts, last_ts[tid]) << "P" << tid << " goes backwards";
    }
    last_ts[tid] = ts;
    const value& args = e["args"];
    if (ph == "X") {
      ASSERT_TRUE(e.has("dur") && e["dur"].is_number());
      EXPECT_GE(e["dur"].num(), 0);
      if (last_end.count(tid)) {
        EXPECT_GE(ts + eps, last_end[tid]) << "overlap on P" << tid;
      }
      last_end[tid] = ts + e["dur"].num();
      ASSERT_TRUE(args.has("fiber") && args.has("end"));
      const auto id = static_cast<std::uint64_t>(args["fiber"].num());
      EXPECT_EQ(e["name"].str(), "fiber " + std::to_string(id));
      sum.ran.insert(id);
      ++sum.slices;
      if (args["end"].str() == "exit") sum.exited.insert(id);
      if (args["end"].str() == "park") {
        EXPECT_TRUE(args.has("reason"));
        ++sum.park_reasons[args["reason"].str()];
      }
    } else {
      EXPECT_TRUE(e.has("s") && e["s"].str() == "t");
      const std::string& name = e["name"].str();
      ++sum.instants[name];
      if (args.has("count")) sum.counts[name] += static_cast<std::uint64_t>(args["count"].num());
      if (name == "spawn" || name == "ready" || name == "blocking enter" ||
          name == "blocking exit") {
        EXPECT_TRUE(args.has("fiber")) << name;
      }
      if (name == "spawn") sum.spawned.insert(static_cast<std::uint64_t>(args["fiber"].num()));
      if (name == "steal") {
        EXPECT_TRUE(args.has("from") && args["from"].is_string());
        EXPECT_NE(args["from"].str(), "P" + std::to_string(tid)) << "a steal from itself";
      }
    }
  }
}

trace_summary check_trace(const std::string& text) {
  trace_summary sum;
  check_into(text, sum);
  return sum;
}

std::string export_trace() {
  std::ostringstream out;
  goro::trace::write(out);
  return out.str();
}

using TraceTest = goro_test::RuntimeTest;

// Ping-pong, sleepers and a burst of busy fibers (stolen when P > 1), all recorded.
TEST_P(TraceTest, RecordsEveryFiberWellFormedAndOrderedPerProcessor) {
  constexpr int rounds = 300, sleepers = 4, busy = 16;
  const auto monitor_fired_before = goro::detail::monitor_stats().timers_fired;
  goro::trace::start();
  std::vector<std::uint64_t> ids;
  goro::chan<int> ping(0), pong(0);  // unbuffered
  auto a = goro::spawn([&] {
    for (int i = 0; i < rounds; ++i) {
      ping.send(i);
      pong.recv();
    }
  });
  auto b = goro::spawn([&] {
    for (int i = 0; i < rounds; ++i) {
      ping.recv();
      pong.send(i);
    }
  });
  ids.push_back(a.id());
  ids.push_back(b.id());
  std::vector<goro::join_handle<void>> hs;
  for (int i = 0; i < sleepers; ++i)
    hs.push_back(goro::spawn([] { goro::this_fiber::sleep_for(std::chrono::milliseconds(1)); }));
  // A fiber spawning busy fibers onto its own queue: idle processors steal them.
  auto spawner = goro::spawn([&] {
    std::vector<goro::join_handle<void>> inner;
    for (int i = 0; i < busy; ++i) {
      inner.push_back(goro::spawn([] {
        auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
        while (std::chrono::steady_clock::now() < until) {
        }
      }));
    }
    std::vector<std::uint64_t> got;
    for (auto& h : inner) {
      got.push_back(h.id());
      h.join();
    }
    return got;
  });
  ids.push_back(spawner.id());
  for (auto& h : hs) {
    ids.push_back(h.id());
    h.join();
  }
  a.join();
  b.join();
  for (auto id : spawner.join()) ids.push_back(id);
  std::uint64_t steals = 0, runs = 0;
  for (const auto& p : goro::stats().processors) {
    steals += p.steals;
    runs += p.runs;
  }
  goro::shutdown();  // every machine stopped: the rings hold every event
  EXPECT_EQ(goro::trace::overwritten(), 0u);
  const std::string text = export_trace();
  goro::trace::stop();
  SCOPED_TRACE(text.substr(0, 2000));
  trace_summary sum = check_trace(text);

  ASSERT_EQ(ids.size(), std::size_t{2 + sleepers + 1 + busy});
  for (auto id : ids) {
    EXPECT_TRUE(sum.spawned.count(id)) << "no spawn of fiber " << id;
    EXPECT_TRUE(sum.ran.count(id)) << "fiber " << id << " never ran";
    EXPECT_TRUE(sum.exited.count(id)) << "fiber " << id << " never exited";
  }
  EXPECT_GE(sum.slices, static_cast<int>(runs));  // runs after the snapshot only add
  EXPECT_GE(sum.slices, 2 * rounds);
  EXPECT_GE(sum.park_reasons["chan receive"] + sum.park_reasons["chan send"], rounds);
  EXPECT_GE(sum.park_reasons["sleep"], sleepers);
  EXPECT_GE(sum.park_reasons["join"], 1);
  EXPECT_GE(sum.instants["ready"], rounds);
  // A machine firing timers records it on its processor's track; the monitor (which holds no
  // processor, so no track) fires those overdue by 10 ms on a processor kept busy, as a
  // loaded machine's may be.
  const auto monitor_fired = goro::detail::monitor_stats().timers_fired - monitor_fired_before;
  EXPECT_GE(sum.counts["timer fire"] + monitor_fired, std::uint64_t{sleepers});
  EXPECT_GE(static_cast<std::uint64_t>(sum.instants["steal"]), steals);
  EXPECT_LE(static_cast<int>(sum.tracks.size()), GetParam() + 1);  // Ps and plain threads
}

// Blocking calls leave their processor: the slice ends at "blocking enter".
TEST_P(TraceTest, BlockingCallEndsTheSliceAndIsRecorded) {
  goro::trace::start();
  auto h = goro::spawn([] { goro::blocking([] { ::usleep(1000); }); });
  const std::uint64_t id = h.id();
  h.join();
  goro::shutdown();
  const std::string text = export_trace();
  goro::trace::stop();
  const trace_summary sum = check_trace(text);
  EXPECT_EQ(sum.instants.at("blocking enter"), 1);
  EXPECT_EQ(sum.instants.at("blocking exit"), 1);
  EXPECT_TRUE(sum.exited.count(id));
}

// Fibers parked on sockets are woken by the network poller: its wake-ups are recorded (on
// a processor's track, or the plain threads' one when an idle machine polled). A spawn
// from a plain thread is on the plain threads' track.
TEST_P(TraceTest, PollerWakeupsAndPlainThreadsAreRecorded) {
  goro::trace::start();
  auto ln = goro::net::listen("127.0.0.1:0");
  const std::string addr = ln.local_address().to_string();
  constexpr int rounds = 20;
  auto server = goro::spawn([&] {
    auto c = ln.accept();
    char b = 0;
    for (int i = 0; i < rounds; ++i) {
      c.read_full(&b, 1);
      c.write_all(&b, 1);
    }
  });
  auto client = goro::spawn([&] {
    auto c = goro::net::dial(addr);
    char b = 'x';
    for (int i = 0; i < rounds; ++i) {
      c.write_all(&b, 1);
      c.read_full(&b, 1);  // parks until the server's reply: only the poller wakes it
    }
  });
  const std::uint64_t from_thread = server.id();  // spawned by this plain thread
  server.join();
  client.join();
  goro::shutdown();
  const std::string text = export_trace();
  goro::trace::stop();
  trace_summary sum = check_trace(text);
  EXPECT_GE(sum.instants["poller wakeup"], 1);
  EXPECT_GE(sum.counts["poller wakeup"], 1u);
  EXPECT_GE(sum.park_reasons["io wait"], 1);
  EXPECT_TRUE(sum.tracks.count(1024)) << "no plain threads' track";  // shared_trace_tid
  EXPECT_TRUE(sum.spawned.count(from_thread));
}

// Nothing is recorded after stop(); the rings keep what they had.
TEST_P(TraceTest, StopEndsRecording) {
  goro::trace::start();
  auto first = goro::spawn([] {});
  const std::uint64_t before = first.id();
  first.join();
  goro::trace::stop();
  EXPECT_FALSE(goro::trace::recording());
  auto second = goro::spawn([] {});
  const std::uint64_t after = second.id();
  second.join();
  goro::shutdown();
  const trace_summary sum = check_trace(export_trace());
  EXPECT_TRUE(sum.spawned.count(before));
  EXPECT_FALSE(sum.spawned.count(after));
  EXPECT_FALSE(sum.ran.count(after));
}

GORO_INSTANTIATE(TraceTest, 1, 2, 4);

std::string temp_path() {
  char buf[] = "/tmp/goro-trace-XXXXXX";
  int fd = ::mkstemp(buf);
  ::close(fd);
  return buf;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// options::trace_path: recorded from the start, written at shutdown.
TEST(TraceFileTest, WrittenAtShutdown) {
  const std::string path = temp_path();
  goro::start({.procs = 2, .trace_path = path.c_str()});
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 8; ++i) {
    auto h = goro::spawn([] { goro::this_fiber::yield(); });
    ids.push_back(h.id());
    h.join();
  }
  goro::shutdown();
  goro::trace::stop();
  const trace_summary sum = check_trace(slurp(path));
  for (auto id : ids) EXPECT_TRUE(sum.exited.count(id)) << id;
  std::remove(path.c_str());
}

// goro::dump() writes the trace file too (the events that led to the dump), and so does
// the deadlock report before the process ends.
TEST(TraceFileTest, WrittenWithADump) {
  const std::string path = temp_path();
  goro::start({.procs = 2, .trace_path = path.c_str()});
  auto h = goro::spawn({.name = "before the dump"}, [] { goro::this_fiber::yield(); });
  const auto id = h.id();
  h.join();
  std::FILE* devnull = std::fopen("/dev/null", "w");
  ASSERT_NE(devnull, nullptr);
  goro::dump(devnull);
  std::fclose(devnull);
  const trace_summary sum = check_trace(slurp(path));  // before shutdown writes it again
  // Spawned and ran: both recorded before join() returned. Its exit is recorded by the
  // machine after it wakes the joiner, so a loaded machine may write the dump first.
  EXPECT_TRUE(sum.spawned.count(id)) << id;
  EXPECT_TRUE(sum.ran.count(id)) << id;
  goro::shutdown();
  goro::trace::stop();
  std::remove(path.c_str());
}

TEST(TraceFileDeathTest, WrittenByTheDeadlockReport) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // The child runs this body again up to EXPECT_EXIT: a fixed name (in the test's working
  // directory), not a fresh temporary one.
  const std::string path = "goro_deadlock_trace_test.json";
  std::remove(path.c_str());
  ::setenv("GORO_TRACE", path.c_str(), 1);
  EXPECT_EXIT(goro::run({.procs = 1},
                        [] {
                          goro::chan<int> c(0);
                          goro::spawn([c] { (void)c.recv(); }).join();
                        }),
              ::testing::ExitedWithCode(2), "all fibers are asleep - deadlock!");
  ::unsetenv("GORO_TRACE");
  trace_summary sum = check_trace(slurp(path));
  EXPECT_EQ(sum.park_reasons["chan receive"], 1);
  EXPECT_EQ(sum.park_reasons["join"], 1);
  std::remove(path.c_str());
}

// GORO_TRACE overrides the option; a file that cannot be written is an option error.
TEST(TraceFileTest, UnwritableFileIsAnOptionError) {
  ::setenv("GORO_TRACE", "/nonexistent-dir/trace.json", 1);
  EXPECT_THROW(goro::start({.procs = 1}), goro::option_error);
  ::unsetenv("GORO_TRACE");
  EXPECT_FALSE(goro::running());
  EXPECT_FALSE(goro::trace::recording());
}

}  // namespace
