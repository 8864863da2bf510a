// samples/deadlock.cpp: programs that deadlock, and the runtime's report naming every
// blocked fiber. As Go's runtime does, goro notices when every fiber is waiting for
// something that nothing left can do (no fiber runnable, no timer pending, no blocking
// call in flight) and ends the program with
//
//   fatal error: all fibers are asleep - deadlock!
//
// and one line per fiber: its id, name and what it waits for. That needs the program's
// main to be a fiber, as Go's is: goro::run(fn) runs fn as the fiber "main".
//
// Three classic deadlocks (--kind):
//   lock-order   two transfers lock two accounts in opposite orders; each holds the lock
//                the other wants (the default)
//   unbuffered   main sends on an unbuffered channel that nobody receives from (Go's
//                first deadlock for most of us: `c := make(chan int); c <- 1`)
//   range        a producer forgets to close its channel; the consumer's range-for waits
//                for a value that never comes
// --fixed runs the corrected program instead (one lock order; a receiver; a close).
//
// --help: deadlock [--kind lock-order|unbuffered|range] [--fixed]
#include <mutex>
#include <string>
#include <string_view>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: deadlock [--kind lock-order|unbuffered|range] [--fixed]\n"
    "  --kind K  the deadlock to run into (default lock-order)\n"
    "  --fixed   run the corrected program: it ends normally\n";

struct account {
  const char* name;
  goro::mutex mu;
  int balance = 100;
};

// Moves `amount` from one account to another, holding both locks. `both_hold_one` makes
// the two transfers meet after their first lock, so the deadlock happens every time
// rather than once in a while, as it would in production.
void transfer(account& from, account& to, int amount, goro::latch* both_hold_one) {
  std::unique_lock first(from.mu);
  if (both_hold_one) both_hold_one->arrive_and_wait();
  std::unique_lock second(to.mu);  // waits for the other transfer's first lock
  from.balance -= amount;
  to.balance += amount;
}

void lock_order(bool fixed) {
  account a{"a"}, b{"b"};
  goro::latch meet(2);
  goro::wait_group wg;
  wg.add(2);
  if (!fixed) {
    fmt::print("two transfers, a->b and b->a, each locking its source account first\n");
    goro::go({.name = "transfer a->b"}, [&] {
      transfer(a, b, 10, &meet);
      wg.done();
    });
    goro::go({.name = "transfer b->a"}, [&] {
      transfer(b, a, 20, &meet);
      wg.done();
    });
  } else {
    // The fix: every transfer takes the locks in one global order (here: by address), so
    // no cycle of waiting can form. std::scoped_lock would do the same for us.
    fmt::print("two transfers, a->b and b->a, each locking the lower address first\n");
    auto ordered = [](account& from, account& to, int amount) {
      account* lo = &from < &to ? &from : &to;
      account* hi = &from < &to ? &to : &from;
      std::lock_guard l1(lo->mu), l2(hi->mu);
      from.balance -= amount;
      to.balance += amount;
    };
    goro::go({.name = "transfer a->b"}, [&] {
      ordered(a, b, 10);
      wg.done();
    });
    goro::go({.name = "transfer b->a"}, [&] {
      ordered(b, a, 20);
      wg.done();
    });
  }
  std::fflush(stdout);
  wg.wait();
  fmt::print("both transfers done: a={} b={} (total 200)\n", a.balance, b.balance);
}

void unbuffered(bool fixed) {
  goro::chan<int> c(0);
  goro::join_handle<void> receiver;
  if (fixed) {
    fmt::print("main sends 1 on an unbuffered channel; a receiver fiber takes it\n");
    receiver = goro::spawn({.name = "receiver"}, [c] { fmt::print("received {}\n", *c.recv()); });
  } else {
    fmt::print("main sends 1 on an unbuffered channel that nobody receives from\n");
  }
  std::fflush(stdout);
  c.send(1);  // an unbuffered send waits for a receiver
  fmt::print("sent\n");
  if (receiver.joinable()) receiver.join();  // fibers still running when main returns are abandoned
}

void range(bool fixed) {
  goro::chan<int> c(3);
  fmt::print("a producer sends 1, 2, 3{}; main sums them with a range-for\n",
             fixed ? " and closes the channel" : " and forgets to close the channel");
  goro::go({.name = "producer"}, [c, fixed] {
    for (int i = 1; i <= 3; ++i) c.send(i);
    if (fixed) c.close();  // the range-for below ends only at the close
  });
  int sum = 0;
  std::fflush(stdout);
  for (int v : c) sum += v;  // after 3 values: waits for a 4th or a close
  fmt::print("sum {}\n", sum);
}

}  // namespace

int main(int argc, char** argv) try {
  std::string kind = "lock-order";
  bool fixed = false;
  samples::flags("deadlock", usage)
      .choice("--kind", kind, {"lock-order", "unbuffered", "range"})
      .toggle("--fixed", fixed)
      .parse(argc, argv);

  return goro::run([&] {
    if (kind == "lock-order") lock_order(fixed);
    if (kind == "unbuffered") unbuffered(fixed);
    if (kind == "range") range(fixed);
    if (fixed) fmt::print("no deadlock\n");
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("deadlock", e);
}
