// The order in which a blocked select waits on its channels: as Go's selectgo, in a random
// order, so that of two cases on one channel neither always wins when a peer arrives.
#include <goro/select.hpp>
#include <goro/testing.hpp>

#include "goro_test.hpp"

namespace {

// Two send cases on one unbuffered channel; the receiver arrives only once the select is
// parked on both. A fair select gives each case half of the trials: the chance that one
// wins fewer than 800 of 2000 is below 1e-18 (binomial, 8.9 standard deviations).
TEST(SelectOrderTest, TwoSendCasesOnOneChannelEachWinAboutHalfOnceParked) {
  constexpr int trials = 2000, at_least = 800;
  const std::uint64_t seed = goro_test::seed();
  int wins[2] = {0, 0};
  goro::testing::run({.seed = seed ? seed : 1}, [&] {
    goro::chan<int> c(0);
    for (int i = 0; i < trials; ++i) {
      goro::wait_group wg;
      wg.add(1);
      goro::go([&] {
        goro::select(goro::send(c, 0), goro::send(c, 1));
        wg.done();
      });
      goro::testing::wait();  // the select is parked on both cases
      auto v = c.recv();
      ASSERT_TRUE(v.has_value());
      ++wins[*v];
      wg.wait();
    }
  });
  EXPECT_GE(wins[0], at_least) << "seed " << seed << ": " << wins[0] << " vs " << wins[1];
  EXPECT_GE(wins[1], at_least) << "seed " << seed << ": " << wins[0] << " vs " << wins[1];
}

// The same for two receive cases and a sender that arrives later.
TEST(SelectOrderTest, TwoRecvCasesOnOneChannelEachWinAboutHalfOnceParked) {
  constexpr int trials = 2000, at_least = 800;
  const std::uint64_t seed = goro_test::seed();
  int wins[2] = {0, 0};
  goro::testing::run({.seed = seed ? seed : 1}, [&] {
    goro::chan<int> c(0);
    for (int i = 0; i < trials; ++i) {
      int which = -1;
      goro::wait_group wg;
      wg.add(1);
      goro::go([&] {
        which = goro::select(goro::recv(c), goro::recv(c));
        wg.done();
      });
      goro::testing::wait();
      c.send(1);
      wg.wait();
      ASSERT_TRUE(which == 0 || which == 1);
      ++wins[which];
    }
  });
  EXPECT_GE(wins[0], at_least) << "seed " << seed << ": " << wins[0] << " vs " << wins[1];
  EXPECT_GE(wins[1], at_least) << "seed " << seed << ": " << wins[0] << " vs " << wins[1];
}

}  // namespace
