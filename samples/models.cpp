// samples/models.cpp: one small problem solved the five ways of the course "Concurrent
// Programming with Go" (its concurrency models): tellers depositing money into one bank
// account, with
//   1. processor threads sharing the balance, guarded by a mutex (and the race without it),
//   2. events: the tellers emit deposits, listeners react (an event emitter),
//   3. callbacks and promises: each teller's total is a future; continuations add them up,
//   4. communicating sequential processes: the deposits go over a channel to the one fiber
//      that owns the balance (Go's model),
//   5. actors: the account is an actor; the deposits are messages in its mailbox.
// All five must end with the same balance. Then the trade-offs of each, as the course has them.
//
// The race: without the mutex, two threads may both read the balance $100, both add $10 and
// both write $110: one deposit is lost. That is a data race, undefined behaviour in C++, so
// here it is made well defined on purpose: the balance is a std::atomic read with a relaxed
// load and written with a separate relaxed store. Each access is atomic, the
// read-modify-write is not; the lost update stays, the undefined behaviour goes (and thread
// sanitizers stay quiet). Between the read and the write each teller yields its thread (it
// counts the cash), so that the OS switches threads there, as it may at any moment: then
// the race shows on a busy machine or on one core too. How many deposits it loses differs
// from run to run.
//
// In Go, model 4 is the language itself:
//
//   deposits := make(chan int)
//   var wg sync.WaitGroup
//   wg.Add(tellers)
//   for t := 0; t < tellers; t++ {
//       go func() { for i := 0; i < n; i++ { deposits <- 10 }; wg.Done() }()
//   }
//   go func() { wg.Wait(); close(deposits) }()
//   balance := 0
//   for amount := range deposits { balance += amount }
//
// --help: models [--tellers N=8] [--deposits N=10000]
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>
#include <goro/patterns/actor.hpp>
#include <goro/patterns/event_emitter.hpp>
#include <goro/patterns/future.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: models [--tellers N=8] [--deposits N=10000]\n"
    "  --tellers N   tellers (threads or fibers) depositing at once (1..1000)\n"
    "  --deposits N  deposits of $10 by each teller (1..1000000)\n";

struct args {
  int tellers = 8;
  int deposits = 10'000;
};

args parse_or_exit(int argc, char** argv) {
  args a;
  samples::flags("models", usage)
      .integer("--tellers", a.tellers, 1, 1000)
      .integer("--deposits", a.deposits, 1, 1'000'000)
      .parse(argc, argv);
  return a;
}

constexpr std::int64_t amount = 10;  // every deposit is $10

// Runs teller(t) for every teller on a thread of its own and joins them all. Joining blocks
// this OS thread: goro::blocking hands the fiber's processor to another thread meanwhile.
template <class Fn>
void on_threads(int tellers, Fn teller) {
  std::vector<std::thread> threads;
  for (int t = 0; t < tellers; ++t) threads.emplace_back(teller, t);
  goro::blocking([&] {
    for (auto& th : threads) th.join();
  });
}

// Runs teller(t) for every teller on a fiber of its own and waits for them all.
template <class Fn>
void on_fibers(int tellers, Fn teller) {
  goro::wait_group wg;
  wg.add(tellers);
  for (int t = 0; t < tellers; ++t)
    goro::go([&wg, &teller, t] {
      teller(t);
      wg.done();
    });
  wg.wait();
}

// 1a. Threads sharing the balance, no lock: a lost-update race (well defined, see the top).
std::int64_t threads_racing(const args& a) {
  std::atomic<std::int64_t> balance{0};
  on_threads(a.tellers, [&](int) {
    for (int i = 0; i < a.deposits; ++i) {
      auto b = balance.load(std::memory_order_relaxed);  // read the balance,
      // count the cash: the OS may switch threads at any moment, here it is made likely
      std::this_thread::yield();
      balance.store(b + amount, std::memory_order_relaxed);  // write: whatever came between is lost
    }
  });
  return balance.load(std::memory_order_relaxed);  // joined: every store is visible
}

// 1b. The same threads, the read-modify-write made one critical section by a mutex.
std::int64_t threads_with_mutex(const args& a) {
  std::int64_t balance = 0;
  std::mutex mu;  // guards balance
  on_threads(a.tellers, [&](int) {
    for (int i = 0; i < a.deposits; ++i) {
      std::lock_guard g(mu);
      balance += amount;
    }
  });
  return balance;
}

// 2. Events. Tellers emit "deposit" events; two listeners react, each on its own fiber
// with its own copy of every event: the ledger keeps the balance, the audit counts deposits.
// The emitter never runs their code, and knows nothing of them.
std::int64_t events(const args& a, std::int64_t& audited) {
  std::int64_t balance = 0;  // touched only by the ledger's fiber, until close() joins it
  goro::patterns::event_emitter<std::int64_t> bank;
  bank.on("deposit", [&balance](std::int64_t deposit) { balance += deposit; });  // the ledger
  bank.on("deposit", [&audited](std::int64_t) { ++audited; });                   // the audit
  on_fibers(a.tellers, [&](int) {
    for (int i = 0; i < a.deposits; ++i) bank.emit("deposit", amount);
  });
  // The tellers are done, but are the listeners? Synchronising the receivers takes one
  // more step: close() lets each handle what it was sent, then joins it.
  bank.close();
  return balance;
}

// 3. Callbacks and promises. Each teller totals its deposits on a fiber of its own: a
// future. A chain of continuations (then: "when this is there, do that") adds each
// teller's total to the balance so far; nothing is shared, values flow from one to the next.
std::int64_t promises(const args& a) {
  using goro::patterns::future;
  std::vector<future<std::int64_t>> totals;
  for (int t = 0; t < a.tellers; ++t)
    totals.push_back(goro::patterns::async([&a] {
      std::int64_t total = 0;
      for (int i = 0; i < a.deposits; ++i) total += amount;
      return total;
    }));
  goro::patterns::promise<std::int64_t> opening;  // the account opens with $0
  future<std::int64_t> balance = opening.get_future();
  for (auto& total : totals)  // balance = ((0 + t0) + t1) + ...: one continuation per teller
    balance = balance.then([total](std::int64_t b) { return b + total.get(); });
  opening.set_value(0);  // sets the chain going
  return balance.get();
}

// 4. CSP. The balance belongs to one fiber, the account; the tellers send it deposits over
// a channel. Nothing is shared: a value sent is handed over. When the tellers are done, the
// channel is closed, which ends the account's loop, and the account returns its balance.
std::int64_t csp(const args& a) {
  goro::chan<std::int64_t> deposits(64);
  auto account = goro::spawn([deposits] {
    std::int64_t balance = 0;
    for (std::int64_t deposit : deposits) balance += deposit;  // until closed and drained
    return balance;
  });
  on_fibers(a.tellers, [&](int) {
    for (int i = 0; i < a.deposits; ++i) deposits.send(amount);
  });
  deposits.close();  // no more deposits: the account may stop
  return account.join();
}

// 5. Actors. The account is an actor: a balance owned by its own fiber, changed only by
// the messages (functions) in its mailbox, one at a time. tell() sends and goes on; ask()
// sends and waits for the answer.
std::int64_t actors(const args& a) {
  goro::patterns::actor<std::int64_t> account;  // opens with $0
  on_fibers(a.tellers, [&](int) {
    for (int i = 0; i < a.deposits; ++i)
      account.tell([](std::int64_t& balance) { balance += amount; });
  });
  // Messages are handled in the order sent: this one comes after every deposit above.
  return account.ask([](std::int64_t& balance) { return balance; });
}  // the actor's fiber ends here, its mailbox empty

void print_tradeoffs() {
  fmt::print(
      "\nthe trade-offs (+ for, - against):\n"
      "  threads + mutex   + control; performance (maybe)\n"
      "                    - memory per thread; shared memory; race conditions (a forgotten\n"
      "                      lock loses deposits, as above)\n"
      "  event emitter     + memory isolation; the caller is separate from the callee\n"
      "                    - traceability (who handles an event?); synchronising receivers\n"
      "                      (when have they all handled it?)\n"
      "  callbacks and     + memory isolation; async operations made simple\n"
      "  promises          - the pyramid of doom (callbacks in callbacks); handling multiple\n"
      "                      receivers\n"
      "  CSP (channels)    + memory isolation; synchronisation built in (a send meets its\n"
      "                      receive); the flow of data is in the code, easy to trace\n"
      "                    - a send nobody receives, or a close forgotten, deadlocks\n"
      "  actors            + fully decoupled; multiple handlers; memory isolation\n"
      "                    - a complicated mental model; traceability\n");
}

}  // namespace

int main(int argc, char** argv) try {
  auto args = parse_or_exit(argc, argv);
  const std::int64_t want = std::int64_t{args.tellers} * args.deposits * amount;

  return goro::run([&] {
    fmt::print(
        "{} tellers make {} deposits of ${} each into one account: the balance must be ${}\n",
        args.tellers, args.deposits, amount, want);

    std::int64_t racy = threads_racing(args);
    fmt::print("1. threads, no lock:       balance ${} of ${}: ", racy, want);
    if (racy == want)
      fmt::print("right this time, by luck (the race is still there)\n");
    else
      fmt::print("{} deposits lost to the race\n", (want - racy) / amount);

    std::int64_t audited = 0;
    const std::int64_t got[] = {threads_with_mutex(args), events(args, audited), promises(args),
                                csp(args), actors(args)};
    fmt::print("   threads + mutex:        balance ${}\n", got[0]);
    fmt::print("2. event emitter:          balance ${} (and the audit counted {} deposits)\n",
               got[1], audited);
    fmt::print("3. callbacks and promises: balance ${}\n", got[2]);
    fmt::print("4. CSP, a channel:         balance ${}\n", got[3]);
    fmt::print("5. an actor:               balance ${}\n", got[4]);

    for (std::int64_t g : got)
      if (g != want) {
        fmt::print(stderr, "models: a balance is wrong: want ${}\n", want);
        return 1;
      }
    if (audited != std::int64_t{args.tellers} * args.deposits) {
      fmt::print(stderr, "models: the audit missed deposits\n");
      return 1;
    }
    fmt::print("all five models agree: ${}, no deposit lost\n", want);
    print_tradeoffs();
    return 0;
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("models", e);
}
