// samples/safemap.cpp: a map owned by one fiber, which runs the closures sent to it over a
// channel (from the talk "Golang design4concurrency": "Communicate using channels. Never share
// memory", or as Go puts it, share memory by communicating). The Go original:
//
//   type SafeMap chan func(store)
//
//   func NewSafeMap() SafeMap {
//       sm := make(SafeMap)
//       go sm.run()
//       return sm
//   }
//
//   func (sm SafeMap) run() {
//       st := make(store)
//       for command := range sm {
//           command(st)
//       }
//   }
//
//   func (sm SafeMap) Insert(key Key, value Value) {
//       sm <- func(st store) { st[key] = value }
//   }
//
//   func (sm SafeMap) Delete(key Key) {
//       sm <- func(st store) { delete(st, key) }
//   }
//
// Only the owner fiber ever touches the map, so it needs no lock: the channel serialises the
// commands, each one running to completion before the next. A read sends a closure that
// answers on a reply channel of its own. Closing the command channel ends the owner's loop,
// and the owner returns the map (as Close() does in the full version, goaleasoluciones/safemap).
//
// Here several client fibers increment shared counters concurrently, all through the owner;
// at the end every count is checked: no increment is lost.
//
// --help: safemap [--clients N=8] [--increments N=1000]
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: safemap [--clients N=8] [--increments N=1000]\n"
    "  --clients N     client fibers incrementing the counters (1..10000)\n"
    "  --increments N  increments by each client, spread over the counters (1..1000000)\n";

struct args {
  int clients = 8;
  int increments = 1000;
};

args parse_or_exit(int argc, char** argv) {
  args a;
  samples::flags("safemap", usage)
      .integer("--clients", a.clients, 1, 10'000)
      .integer("--increments", a.increments, 1, 1'000'000)
      .parse(argc, argv);
  return a;
}

using store = std::map<std::string, std::int64_t>;

// Go's SafeMap: the command channel, and the owner fiber that runs the commands.
// Any fiber or thread may call the methods, concurrently; close() once, after the others.
class safe_map {
 public:
  using command = std::function<void(store&)>;

  safe_map() : owner_(goro::spawn(run, commands_)) {}
  ~safe_map() {
    if (owner_.joinable()) close();  // never leave the owner parked on its channel
  }

  void insert(std::string key, std::int64_t value) {
    commands_.send([key = std::move(key), value](store& st) { st[key] = value; });
  }
  void remove(std::string key) {  // Go's Delete
    commands_.send([key = std::move(key)](store& st) { st.erase(key); });
  }
  // Read-modify-write in one command: nothing can slip in between the read and the write.
  void update(std::string key, std::function<void(std::int64_t&)> fn) {
    commands_.send([key = std::move(key), fn = std::move(fn)](store& st) { fn(st[key]); });
  }
  // A read: the closure answers on a reply channel, and the caller waits for the answer.
  std::optional<std::int64_t> find(std::string key) const {
    goro::chan<std::optional<std::int64_t>> reply(0);
    commands_.send([key = std::move(key), reply](store& st) {
      auto it = st.find(key);
      reply.send(it == st.end() ? std::nullopt : std::optional(it->second));
    });
    return *reply.recv();
  }
  std::size_t size() const {
    goro::chan<std::size_t> reply(0);
    commands_.send([reply](store& st) { reply.send(st.size()); });
    return *reply.recv();
  }
  // Ends the owner's loop and returns the map it owned (Go's Close).
  store close() {
    commands_.close();
    return owner_.join();
  }

 private:
  // The owner: runs each command in turn until the channel is closed and drained.
  static store run(goro::chan<command> commands) {
    store st;
    for (auto& command : commands) command(st);
    return st;
  }

  goro::chan<command> commands_{0};  // unbuffered, as Go's make(SafeMap); before owner_
  goro::join_handle<store> owner_;
};

}  // namespace

int main(int argc, char** argv) try {
  auto args = parse_or_exit(argc, argv);
  const std::vector<std::string> keys = {"apples", "pears", "plums", "cherries"};
  safe_map counters;

  // A counter to delete, to show insert, find and remove at work.
  counters.insert("lemons", 7);
  fmt::print("insert lemons=7, find lemons: {}\n", counters.find("lemons").value_or(-1));
  counters.remove("lemons");
  fmt::print("remove lemons, find lemons: {}\n",
             counters.find("lemons") ? "still there" : "not found");

  // The clients: client c's increment i goes to key (c + i) % 4, so every client hits every
  // key, and all of them hit the same keys at the same time.
  goro::wait_group wg;
  wg.add(args.clients);
  for (int c = 0; c < args.clients; ++c) {
    goro::go([&, c] {
      for (int i = 0; i < args.increments; ++i)
        counters.update(keys[(c + i) % keys.size()], [](std::int64_t& n) { ++n; });
      wg.done();
    });
  }
  wg.wait();
  fmt::print("{} clients made {} increments each; the map has {} keys\n", args.clients,
             args.increments, counters.size());

  // What each count must be: the same rule, counted here without any fibers.
  store want;
  for (int c = 0; c < args.clients; ++c)
    for (int i = 0; i < args.increments; ++i) ++want[keys[(c + i) % keys.size()]];

  store result = counters.close();  // the owner has ended: the map is ours now, no lock needed
  bool ok = result == want;
  std::int64_t total = 0;
  for (const auto& key : keys) {
    fmt::print("  {:<8} {:>8}\n", key, result[key]);
    total += result[key];
  }
  if (!ok) {
    fmt::print(stderr, "safemap: lost updates: want");
    for (const auto& key : keys) fmt::print(stderr, " {}={}", key, want[key]);
    fmt::print(stderr, "\n");
    return 1;
  }
  fmt::print("total {} = {} x {}: no increment lost\n", total, args.clients, args.increments);
} catch (const goro::option_error& e) {
  return samples::option_failed("safemap", e);
}
