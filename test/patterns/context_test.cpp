// goro::context: cancellation reaches every fiber of a deep and wide tree (counted),
// deadlines fire, values are found up the tree, a child's cancel leaves its parent alone.
#include <atomic>
#include <stop_token>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include <goro/context.hpp>
#include <goro/net/tcp.hpp>
#include <goro/wait_group.hpp>

#include "goro_test.hpp"

namespace {

using namespace std::chrono_literals;
using goro::context;
using goro::context_error;

class ContextTest : public goro_test::RuntimeTest {};

const goro::context_key<int> key_for_tokens("n");

TEST_P(ContextTest, BackgroundNeverEnds) {
  context bg;
  EXPECT_FALSE(bg.err());
  EXPECT_FALSE(bg.deadline());
  EXPECT_EQ(goro::select(goro::recv(bg.done()), goro::otherwise()), 1);  // nil: never ready
}

TEST_P(ContextTest, CancellationReachesEveryFiberOfADeepAndWideTree) {
  // A chain 1000 deep, and under every tenth link ten leaves, each watched by a fiber
  // parked in a select on its done() channel.
  const int depth = static_cast<int>(goro_test::scaled(1000));
  auto [root, cancel_root] = goro::with_cancel(context{});
  std::vector<goro::cancel_func> cancels;  // released at the end, as Go's defer cancel()
  std::vector<context> chain{root};
  for (int i = 1; i < depth; ++i) {
    auto [c, cancel] = goro::with_cancel(chain.back());
    chain.push_back(c);
    cancels.push_back(cancel);
  }
  std::atomic<int> woke{0};
  goro::wait_group watchers;
  int leaves = 0;
  for (int i = 0; i < depth; i += 10) {
    for (int k = 0; k < 10; ++k, ++leaves) {
      auto [leaf, cancel] = goro::with_cancel(chain[static_cast<std::size_t>(i)]);
      cancels.push_back(cancel);
      watchers.add(1);
      goro::go([leaf = leaf, &woke, &watchers] {
        goro::select(goro::recv(leaf.done()));  // until cancelled
        if (leaf.err() == context_error::canceled && leaf.cause() == "shutting down")
          woke.fetch_add(1);
        watchers.done();
      });
    }
  }
  cancel_root("shutting down");
  watchers.wait();
  EXPECT_EQ(woke.load(), leaves);
  for (auto& c : chain) {
    EXPECT_EQ(c.err(), context_error::canceled);
    EXPECT_EQ(c.cause(), "shutting down");
  }
  for (auto& c : cancels) c();
}

TEST_P(ContextTest, CancellingAChildLeavesItsParentAndALateChildIsBornEnded) {
  auto [parent, cancel_parent] = goro::with_cancel(context{});
  auto [child, cancel_child] = goro::with_cancel(parent);
  cancel_child();
  EXPECT_EQ(child.err(), context_error::canceled);
  EXPECT_FALSE(parent.err());
  cancel_child("again");  // idempotent: the first cause stays
  EXPECT_EQ(child.cause(), "context canceled");
  // A child made after its parent ended is born ended, with the parent's reason.
  cancel_parent("parent gone");
  auto [late, cancel_late] = goro::with_cancel(parent);
  EXPECT_EQ(late.err(), context_error::canceled);
  EXPECT_EQ(late.cause(), "parent gone");
  cancel_late();
}

TEST_P(ContextTest, DeadlinesFireAndTheEarliestWins) {
  auto [ctx, cancel] = goro::with_timeout(context{}, 5ms);
  ASSERT_TRUE(ctx.deadline());
  goro::spawn([ctx = ctx] { goro::select(goro::recv(ctx.done())); }).join();
  EXPECT_EQ(ctx.err(), context_error::deadline_exceeded);
  EXPECT_EQ(ctx.err().message(), "context deadline exceeded");
  // A child asking for a later deadline keeps its parent's earlier one.
  auto [p, cancel_p] = goro::with_timeout(context{}, 1h);
  auto [c, cancel_c] = goro::with_timeout(p, 2h);
  EXPECT_EQ(c.deadline(), p.deadline());
  // A deadline in the past ends the context at once.
  auto [past, cancel_past] = goro::with_deadline(context{}, std::chrono::steady_clock::now());
  EXPECT_EQ(past.err(), context_error::deadline_exceeded);
  cancel();
  cancel_c();
  cancel_p();
  cancel_past();
}

TEST_P(ContextTest, SleepReturnsEarlyWhenTheContextEnds) {
  auto [ctx, cancel] = goro::with_cancel(context{});
  auto sleeper = goro::spawn([ctx = ctx] { return goro::sleep_for(ctx, 1h); });
  goro::this_fiber::yield();
  cancel();
  EXPECT_EQ(sleeper.join(), context_error::canceled);
  EXPECT_FALSE(goro::sleep_for(context{}, 1ms));  // a full sleep: no error
}

TEST_P(ContextTest, ValuesAreFoundUpTheTreeAndShadowed) {
  static const goro::context_key<std::string> user("user");
  static const goro::context_key<int> attempt("attempt");
  context root;
  auto a = goro::with_value(root, user, std::string("ada"));
  auto [b, cancel_b] = goro::with_cancel(a);
  auto c = goro::with_value(b, attempt, 3);
  auto d = goro::with_value(c, user, std::string("grace"));
  ASSERT_NE(c.value(user), nullptr);
  EXPECT_EQ(*c.value(user), "ada");  // through a cancel node
  EXPECT_EQ(*c.value(attempt), 3);
  EXPECT_EQ(*d.value(user), "grace");  // shadowed
  EXPECT_EQ(a.value(attempt), nullptr);
  EXPECT_EQ(root.value(user), nullptr);
  cancel_b();
  EXPECT_EQ(d.err(), context_error::canceled);  // value nodes end with their canceler
}

TEST_P(ContextTest, StopTokenIsStoppedWhenTheContextEnds) {
  EXPECT_FALSE(context{}.stop_token().stop_possible());  // background never ends
  auto [p, cancel_p] = goro::with_cancel(context{});
  auto [c, cancel_c] = goro::with_cancel(goro::with_value(p, key_for_tokens, 1));
  auto early = c.stop_token();
  std::atomic<int> callbacks{0};
  std::stop_callback cb(early, [&] { callbacks.fetch_add(1); });
  EXPECT_FALSE(early.stop_requested());
  cancel_p();  // the parent's end reaches the child's token, and runs its callbacks once
  EXPECT_TRUE(early.stop_requested());
  EXPECT_EQ(callbacks.load(), 1);
  EXPECT_TRUE(c.stop_token().stop_requested());  // asked for after the end
  auto [d, cancel_d] = goro::with_timeout(context{}, 1ms);
  auto late = d.stop_token();
  goro::wait_group wg;
  wg.add(1);  // never done: only the deadline ends the wait
  EXPECT_EQ(goro::wait(d, wg), context_error::deadline_exceeded);
  EXPECT_TRUE(late.stop_requested());
  cancel_c();
  cancel_d();
}

TEST_P(ContextTest, WaitGroupWaitEndsAtZeroOrWithTheContext) {
  goro::wait_group wg;
  wg.add(2);
  auto [ctx, cancel] = goro::with_cancel(context{});
  auto waiter = goro::spawn([&, ctx = ctx] { return goro::wait(ctx, wg); });
  goro::this_fiber::yield();
  cancel();
  EXPECT_EQ(waiter.join(), context_error::canceled);
  auto [ctx2, cancel2] = goro::with_cancel(context{});
  auto waiter2 = goro::spawn([&, ctx2 = ctx2] { return goro::wait(ctx2, wg); });
  wg.done();
  wg.done();
  EXPECT_FALSE(waiter2.join());  // zero: no error
  cancel2();
}

// A read with the context's token ends when the context's deadline passes; ctx.err() says
// why, and the stream's own deadline is untouched.
TEST_P(ContextTest, NetReadEndsWithTheContext) {
  auto ln = goro::net::listen("127.0.0.1:0");
  auto srv = goro::spawn([&] { return ln.accept(); });
  auto c = goro::net::dial(ln.local_address().to_string());
  auto peer = srv.join();
  auto [ctx, cancel] = goro::with_timeout(context{}, 20ms);
  char b;
  EXPECT_THROW(c.read(&b, 1, ctx.stop_token()), goro::net::canceled_error);
  EXPECT_EQ(ctx.err(), context_error::deadline_exceeded);
  peer.write_all("y");
  EXPECT_EQ(c.read(&b, 1), 1u);
  EXPECT_EQ(b, 'y');
  cancel();
}

GORO_INSTANTIATE(ContextTest, 1, 2, 4);

}  // namespace
