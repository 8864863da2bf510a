// samples/context.cpp: goro::context, Go's context.Context. Like the request-quit pattern,
// but no quit channels to manage: calling a cancel function ends every operation using the
// context and the contexts made from it, and a context carries request-scoped values (a
// request id, a client address) down the call tree. The Go originals:
//
//   ctx, cancel := context.WithCancel(context.Background())
//   go worker(ctx)                 // func worker(ctx context.Context) {
//   cancel()                       //     <-ctx.Done(); log.Print(ctx.Err()) }
//
//   ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
//   defer cancel()
//   select {
//   case r := <-slowOperation(): use(r)
//   case <-ctx.Done(): fmt.Println(ctx.Err())   // "context deadline exceeded"
//   }
//
//   ctx = context.WithValue(ctx, requestIDKey, 101)
//   id := ctx.Value(requestIDKey).(int)         // anywhere below
//
// Three parts:
//   1. a tree of fibers, each with a context of its own made from its parent's; cancelling
//      the root reaches every one of them, and each reports why (err() and cause());
//   2. an operation taking 10 s abandoned at a 50 ms deadline, and a quick one that beats
//      its deadline;
//   3. values put in the context where a request comes in, read deep in the call tree, on
//      other fibers and through child contexts. Keys are typed: a goro::context_key<T>
//      gives back a const T*, and two keys never clash even with the same name.
// The waiting is done by goro::sleep_for(ctx, d): a sleep that ends early when ctx ends.
//
// --help: context [--depth N=3] [--fanout N=3] [--timeout-ms N=50]
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

using namespace std::chrono_literals;

constexpr std::string_view usage =
    "usage: context [--depth N=3] [--fanout N=3] [--timeout-ms N=50]\n"
    "  --depth N       levels of the fiber tree below its root (0..4)\n"
    "  --fanout N      children of each fiber in the tree (1..8)\n"
    "  --timeout-ms N  deadline of the 10 s operation, in milliseconds (1..5000)\n";

struct args {
  int depth = 3;
  int fanout = 3;
  int timeout_ms = 50;
};

args parse_or_exit(int argc, char** argv) {
  args a;
  samples::flags("context", usage)
      .integer("--depth", a.depth, 0, 4)
      .integer("--fanout", a.fanout, 1, 8)
      .integer("--timeout-ms", a.timeout_ms, 1, 5000)
      .parse(argc, argv);
  return a;
}

// ---- 1. Cancelling a tree of work ----

constexpr std::string_view why = "the client went away";

// What the tree's fibers report: how many started, and how many saw their context cancelled
// for the reason given at the root. Counters only (relaxed: the joins order the rest).
struct tree_counts {
  goro::wait_group started;
  std::atomic<int> saw_cancel{0};
};

// A fiber of the tree: makes a context of its own from its parent's, starts `fanout`
// children with it, and works until it ends. Returns how many fibers of its subtree ended.
int node(goro::context parent, int depth, int fanout, tree_counts& counts) {
  auto [ctx, cancel] = goro::with_cancel(parent);  // could cancel its own subtree alone
  std::vector<goro::join_handle<int>> children;
  for (int i = 0; depth > 0 && i < fanout; ++i)
    children.push_back(goro::spawn(node, ctx, depth - 1, fanout, std::ref(counts)));
  counts.started.done();

  // The work: waits 10 s, or until the context ends. Nobody cancels this node's own
  // context; it ends because an ancestor's did, with the ancestor's error and cause.
  std::error_code err = goro::sleep_for(ctx, 10s);
  if (err == goro::context_error::canceled && ctx.cause() == why)
    counts.saw_cancel.fetch_add(1, std::memory_order_relaxed);

  int ended = 1;
  for (auto& c : children) ended += c.join();
  cancel();  // Go's `defer cancel()`: releases this context (already ended here)
  return ended;
}

void cancel_a_tree(const args& a) {
  int total = 0;
  for (int level = 0, width = 1; level <= a.depth; ++level, width *= a.fanout) total += width;
  fmt::print("a tree of {} fibers ({} levels below the root, {} children each), a context each:\n",
             total, a.depth, a.fanout);

  tree_counts counts;
  counts.started.add(total);
  auto [root, cancel] = goro::with_cancel(goro::context{});
  auto tree = goro::spawn(node, root, a.depth, a.fanout, std::ref(counts));
  counts.started.wait();  // every fiber is at work: now cancel
  cancel(std::string(why));
  const int ended = tree.join();
  fmt::print("  cancelled the root: {} of {} fibers saw \"{}\" ({}), {} ended\n",
             counts.saw_cancel.load(std::memory_order_relaxed), total, root.cause(),
             root.err().message(), ended);
}

// ---- 2. Deadlines ----

// An operation that takes `takes` to give its result, abandoned if ctx ends first: empty
// then, and ctx.err() says why. The Go original starts the work on a goroutine with a
// buffered result channel and leaves it running when it gives up; here the work sleeps with
// the same context, so it stops too, and is joined.
std::optional<int> operation(const goro::context& ctx, std::chrono::milliseconds takes) {
  goro::chan<int> result(1);
  auto work = goro::spawn([ctx, result, takes] {
    if (!goro::sleep_for(ctx, takes)) result.send(42);  // {}: slept the full time
  });
  std::optional<int> r;
  goro::select(goro::recv(result, [&](std::optional<int> v) { r = v; }),
               goro::recv(ctx.done()));  // closed when the deadline passes
  work.join();
  return r;
}

void deadlines(const args& a) {
  fmt::print("deadlines:\n");
  {
    auto [ctx, cancel] =
        goro::with_timeout(goro::context{}, std::chrono::milliseconds(a.timeout_ms));
    const auto t0 = std::chrono::steady_clock::now();
    auto r = operation(ctx, 10'000ms);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("  a 10 s operation with a {} ms timeout: {} after {:.1f} ms, ctx.err(): {}\n",
               a.timeout_ms, r ? "finished" : "abandoned", ms, ctx.err().message());
    cancel();
  }
  {
    auto [ctx, cancel] = goro::with_timeout(goro::context{}, 10s);
    auto r = operation(ctx, 1ms);
    fmt::print("  a 1 ms operation with a 10 s timeout: {}, result {}, ctx.err(): {}\n",
               r ? "finished" : "abandoned", r.value_or(0),
               ctx.err() ? ctx.err().message() : "none");
    cancel();  // the work is done: release the context and stop its timer
  }
}

// ---- 3. Request-scoped values ----

// Typed keys: ctx.value(request_id) is a const std::uint64_t*. A key is identified by its
// address, as Go's unexported key types are, so it lives as long as the program.
const goro::context_key<std::uint64_t> request_id("request id");
const goro::context_key<std::string> client_address("client address");

// Deep in the call tree: a log line tagged with the request's values, found in ctx (or
// any of its ancestors).
std::string log_line(const goro::context& ctx, std::string_view what) {
  const std::uint64_t* id = ctx.value(request_id);
  const std::string* addr = ctx.value(client_address);
  return fmt::format("[request {} from {}] {}", id ? *id : 0, addr ? *addr : "?", what);
}

// The bottom of the call tree: a database query, given a deadline of its own (a child
// context: the values are still there).
std::string query(const goro::context& ctx, std::string_view table) {
  auto [db_ctx, cancel] = goro::with_timeout(ctx, 1s);
  goro::sleep_for(db_ctx, 1ms);  // the query's round trip
  cancel();
  return log_line(db_ctx, fmt::format("db: SELECT * FROM {}", table));
}

// The handler: two queries at once, each on a fiber of its own that gets the context.
std::vector<std::string> handle(const goro::context& ctx, std::string_view path) {
  std::vector<std::string> log{log_line(ctx, fmt::format("handler: GET {}", path))};
  auto profile = goro::spawn(query, ctx, "profiles");
  auto orders = goro::spawn(query, ctx, "orders");
  log.push_back(profile.join());
  log.push_back(orders.join());
  log.push_back(log_line(ctx, "handler: 200 OK"));
  return log;
}

// Where a request comes in: its values go into the context, once.
void request_values() {
  fmt::print("request-scoped values, read in the handler and in queries on other fibers:\n");
  struct request {
    std::uint64_t id;
    std::string from, path;
  };
  std::vector<request> requests{{101, "192.0.2.10:51000", "/orders"},
                                {102, "198.51.100.7:40222", "/profile"}};
  std::vector<goro::join_handle<std::vector<std::string>>> served;
  for (const auto& r : requests) {
    auto ctx = goro::with_value(goro::context{}, request_id, r.id);
    ctx = goro::with_value(ctx, client_address, r.from);
    served.push_back(goro::spawn(handle, ctx, r.path));  // both requests at once
  }
  for (auto& s : served)
    for (const auto& line : s.join()) fmt::print("  {}\n", line);
}

}  // namespace

int main(int argc, char** argv) try {
  auto a = parse_or_exit(argc, argv);

  return goro::run([&] {
    const auto before = goro::live_fibers();
    cancel_a_tree(a);
    deadlines(a);
    request_values();
    fmt::print("fibers left running: {}\n", goro::live_fibers() - before);
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("context", e);
}
