// samples/singleton.cpp: a concurrent singleton, built once however many fibers ask for it
// at the same moment (Go's sync.Once). The Go original:
//
//   var (
//       once     sync.Once
//       instance *Config
//   )
//
//   func GetInstance() *Config {
//       once.Do(func() { instance = loadConfig() })   // the first caller loads it;
//       return instance                               // the others wait until it is loaded
//   }
//
// Here 1000 fibers are held at a start line (a channel they all receive from, closed to let
// them go at once, as Go programs do) and then ask for the instance together. With
// goro::once the constructor runs exactly once and every fiber gets the same address: the
// callers that come while it runs park until it is done.
//
// Then the broken way: check whether the instance exists, and create it if not. Between the
// check and the create, other fibers check too, see nothing yet, and build their own. The
// atomic pointer makes each load and store safe (no undefined behaviour, nothing for a race
// detector to report); the race is between the check and the act, which no single atomic
// operation closes. The sample counts the fibers that saw "not created yet".
//
// Last, C++'s own answer, a function-local static: its initialisation is thread-safe too,
// but a caller that finds it under way waits by blocking its OS thread, the whole processor
// and every fiber queued on it, not just the one fiber. So its constructor must not park (no
// channel, no sleep, no goro::mutex): a parked constructor would leave the processors
// blocked on it with no thread free to wake it up. goro::once parks only the fiber.
//
// --help: singleton [--fibers N=1000] [--load-us N=1000]
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: singleton [--fibers N=1000] [--load-us N=1000]\n"
    "  --fibers N   fibers asking for the instance at once (2..100000)\n"
    "  --load-us N  microseconds the constructor takes, loading the config (0..1000000)\n";

std::atomic<int> constructed{0};  // constructor calls, for the count printed

// The singleton's class: a configuration that takes a while to load.
struct config {
  explicit config(std::chrono::microseconds load) {
    // Relaxed: a count, read only after every fiber is joined.
    constructed.fetch_add(1, std::memory_order_relaxed);
    if (load.count() > 0) goro::this_fiber::sleep_for(load);  // parks this fiber only
  }
  int port = 8080;
};

// The fibers wait at a start line, then each calls get(i) once; returns what each got.
template <class Get>
std::vector<config*> ask_at_once(int fibers, Get get) {
  std::vector<config*> got(fibers);
  goro::chan<std::monostate> start(0);
  goro::wait_group wg;
  wg.add(fibers);
  for (int i = 0; i < fibers; ++i) {
    goro::go([&, start, i] {
      start.recv();     // returns when start is closed: all of them go together
      got[i] = get(i);  // each fiber its own slot: no lock
      wg.done();
    });
  }
  start.close();
  wg.wait();
  return got;
}

// Prints how many instances the fibers got between them.
void report(const char* way, const std::vector<config*>& got) {
  const std::set<config*> distinct(got.begin(), got.end());
  const int calls = constructed.exchange(0, std::memory_order_relaxed);
  if (distinct.size() == 1)
    fmt::print("{}: the constructor ran {} time{}; all {} fibers got the same instance\n", way,
               calls, calls == 1 ? "" : "s", got.size());
  else
    fmt::print("{}: the constructor ran {} times; the {} fibers got {} different instances\n", way,
               calls, got.size(), distinct.size());
}

// Go's GetInstance with sync.Once.
class lazy_config {
 public:
  explicit lazy_config(std::chrono::microseconds load) : load_(load) {}
  config* get() {
    once_.call([this] { instance_ = std::make_unique<config>(load_); });
    return instance_.get();  // once_.call returned: the instance is there, and visible
  }

 private:
  std::chrono::microseconds load_;
  goro::once once_;
  std::unique_ptr<config> instance_;  // written once, inside once_.call
};

// The broken check-then-create. Each fiber that saw no instance builds one and keeps it in
// its own slot of built_ (so none leaks), and publishes it: the last store wins.
class check_then_create {
 public:
  check_then_create(int fibers, std::chrono::microseconds load) : built_(fibers), load_(load) {}
  config* get(int fiber) {
    // Acquire/release: a fiber that sees a pointer sees the instance behind it.
    if (config* c = instance_.load(std::memory_order_acquire)) return c;  // check...
    saw_none_.fetch_add(1, std::memory_order_relaxed);
    built_[fiber] = std::make_unique<config>(load_);  // ...then create: others check meanwhile
    instance_.store(built_[fiber].get(), std::memory_order_release);
    return built_[fiber].get();
  }
  int saw_none() const { return saw_none_.load(std::memory_order_relaxed); }

 private:
  std::vector<std::unique_ptr<config>> built_;  // built_[i]: fiber i's own, if it built one
  std::chrono::microseconds load_;
  std::atomic<config*> instance_{nullptr};
  std::atomic<int> saw_none_{0};
};

// C++'s function-local static. Its constructor must not park: see the top of the file.
config* static_instance() {
  static config instance(std::chrono::microseconds(0));
  return &instance;
}

}  // namespace

int main(int argc, char** argv) try {
  int fibers = 1000, load_us = 1000;
  samples::flags("singleton", usage)
      .integer("--fibers", fibers, 2, 100'000)
      .integer("--load-us", load_us, 0, 1'000'000)
      .parse(argc, argv);
  const std::chrono::microseconds load(load_us);

  return goro::run([&] {
    fmt::print("{} fibers ask for the instance at once; constructing it takes {} us\n", fibers,
               load_us);

    lazy_config with_once(load);
    report("goro::once", ask_at_once(fibers, [&](int) { return with_once.get(); }));

    check_then_create broken(fibers, load);
    auto got = ask_at_once(fibers, [&](int i) { return broken.get(i); });
    const int saw_none = broken.saw_none();
    fmt::print("check-then-create: {} fiber{} saw \"not created yet\" and built {} own\n", saw_none,
               saw_none == 1 ? "" : "s", saw_none == 1 ? "its" : "their");
    report("check-then-create", got);

    report("function-local static", ask_at_once(fibers, [](int) { return static_instance(); }));
    fmt::print(
        "(a static's constructor must not park: a fiber waiting for it blocks its "
        "OS thread)\n");
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("singleton", e);
}
