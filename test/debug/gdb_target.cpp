// The program that test/debug/check_gdb.py debugs with tools/gdb/goro_gdb.py. On one
// processor, it spawns named fibers that park on different things, waits until every one of
// them has parked, then raises SIGTRAP from the main fiber: gdb stops there with each fiber
// in a known state. When continued, it hands the courier its parcel, joins it and exits 0.
//
//   fiber     parks in                         wait reason
//   holder    semaphore::acquire (holds `m`)   semaphore
//   courier   gdb_target::await_parcel         chan_receive
//   locker    mutex::lock (`m`)                mutex
//   sleeper   this_fiber::sleep_for(1 h)       sleep
//   sender    chan::send, nobody receives      chan_send
//   waiter    wait_group::wait                 wait_group
//   (none)    condition_variable::wait         cond
//   main      raise(SIGTRAP)                   (running)
//
// With a single processor nothing runs in parallel: a fiber that calls parked.done() goes on
// to park before any other fiber (main included) runs, so main's parked.wait() returns only
// once every fiber it counts has parked.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <mutex>

#include <goro/goro.hpp>

namespace gdb_target {

// The courier's distinctive frame, looked for in its backtrace.
[[gnu::noinline]] int await_parcel(const goro::chan<int>& parcels, goro::wait_group& parked) {
  parked.done();
  auto v = parcels.recv();
  return v ? *v : -1;
}

}  // namespace gdb_target

// What the fibers park on. Never freed: the fibers left parked at the end still point at it.
struct parking {
  goro::wait_group parked;
  goro::mutex m;
  goro::semaphore never_released{1};
  goro::chan<int> parcels{0}, unread{0};
  goro::wait_group never_done;
  goro::mutex cv_m;
  goro::condition_variable cv;
};

int main() {
  return goro::run({.procs = 1}, [] {
    auto& p = *new parking;
    p.never_released.acquire();
    p.never_done.add(1);

    // The holder takes `m` before the locker asks for it.
    p.parked.add(1);
    goro::go({.name = "holder"}, [&p] {
      p.m.lock();
      p.parked.done();
      p.never_released.acquire();
    });
    p.parked.wait();

    p.parked.add(6);
    auto courier = goro::spawn({.name = "courier"},
                               [&p] { return gdb_target::await_parcel(p.parcels, p.parked); });
    goro::go({.name = "locker"}, [&p] {
      p.parked.done();
      p.m.lock();
    });
    goro::go({.name = "sleeper"}, [&p] {
      p.parked.done();
      goro::this_fiber::sleep_for(std::chrono::hours(1));
    });
    goro::go({.name = "sender"}, [&p] {
      p.parked.done();
      p.unread.send(7);
    });
    goro::go({.name = "waiter"}, [&p] {
      p.parked.done();
      p.never_done.wait();
    });
    goro::go([&p] {
      std::unique_lock lk(p.cv_m);
      p.parked.done();
      p.cv.wait(lk);
    });
    p.parked.wait();

    std::printf("gdb_target: courier is fiber %llu\n",
                static_cast<unsigned long long>(courier.id()));
    std::fflush(stdout);
    std::raise(SIGTRAP);  // gdb stops here

    p.parcels.send(42);
    std::printf("gdb_target: courier got %d\n", courier.join());
    // The other fibers stay parked: run() abandons them.
  });
}
