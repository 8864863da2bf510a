// samples/redis/keyspace.hpp: the sharded keyspace, its expiry, and INCR from many fibers.
#include "keyspace.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <goro/goro.hpp>

#include "goro_test.hpp"

namespace {

TEST(KeyspaceTest, SetGetWithNxXxAndKeepTtl) {
  redis::keyspace ks(4);
  EXPECT_TRUE(ks.set("k", "1", {}));
  EXPECT_FALSE(ks.set("k", "2", {.nx = true}));
  EXPECT_FALSE(ks.set("other", "2", {.xx = true}));
  EXPECT_TRUE(ks.set("k", "3", {.expire_at = redis::now_ms() + 100000, .xx = true}));
  EXPECT_EQ(ks.get("k"), "3");
  EXPECT_GT(ks.ttl_ms("k"), 0);
  EXPECT_TRUE(ks.set("k", "4", {.keep_ttl = true}));
  EXPECT_GT(ks.ttl_ms("k"), 0);
  EXPECT_TRUE(ks.set("k", "5", {}));
  EXPECT_EQ(ks.ttl_ms("k"), -1);
  EXPECT_EQ(ks.ttl_ms("missing"), -2);
  EXPECT_EQ(ks.get("other"), std::nullopt);
  EXPECT_EQ(ks.size(), 1);
  EXPECT_EQ(ks.volatile_size(), 0);
}

TEST(KeyspaceTest, IncrByChecksIntegerAndOverflow) {
  redis::keyspace ks(2);
  const char* error = nullptr;
  EXPECT_EQ(ks.incr_by("n", 5, &error), 5);
  ks.set("s", "abc", {});
  EXPECT_EQ(ks.incr_by("s", 1, &error), std::nullopt);
  EXPECT_STREQ(error, "ERR value is not an integer or out of range");
  ks.set("max", "9223372036854775807", {});
  EXPECT_EQ(ks.incr_by("max", 1, &error), std::nullopt);
  EXPECT_STREQ(error, "ERR increment or decrement would overflow");
  EXPECT_EQ(ks.incr_by("max", -1, &error), INT64_MAX - 1);
}

TEST(KeyspaceTest, MultiKeyOperationsAcrossShards) {
  redis::keyspace ks(8);
  std::vector<std::string> cmd = {"MSET"};
  for (int i = 0; i < 100; ++i) cmd.insert(cmd.end(), {fmt::format("k{}", i), std::to_string(i)});
  ks.mset(cmd, 1);
  EXPECT_EQ(ks.size(), 100);
  auto got = ks.mget({"MGET", "k0", "k99", "nope", "k0"}, 1);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], "0");
  EXPECT_EQ(got[1], "99");
  EXPECT_EQ(got[2], std::nullopt);
  EXPECT_EQ(got[3], "0");
  EXPECT_EQ(ks.exists({"EXISTS", "k1", "k1", "nope"}, 1), 2);
  EXPECT_EQ(ks.del({"DEL", "k1", "k1", "k2", "nope"}, 1), 2);
  EXPECT_EQ(ks.keys("k9*").size(), 11u);  // k9, k90..k99
  EXPECT_EQ(ks.keys("*").size(), 98u);
  ks.flush();
  EXPECT_EQ(ks.size(), 0);
}

TEST(KeyspaceTest, ExpiredKeyIsDeletedWhenRead) {
  redis::keyspace ks(1);
  const auto at = redis::now_ms() + 1;
  ks.set("k", "v", {.expire_at = at});
  EXPECT_EQ(ks.volatile_size(), 1);
  while (redis::now_ms() <= at) {
  }                         // the clock passes the expiry time
  EXPECT_EQ(ks.size(), 1);  // still there: nobody looked, no sweep ran
  EXPECT_EQ(ks.get("k"), std::nullopt);
  EXPECT_EQ(ks.size(), 0);
  EXPECT_EQ(ks.volatile_size(), 0);
  EXPECT_EQ(ks.expired_keys(), 1u);
}

TEST(KeyspaceTest, SweepsSampleAndDeleteExpiredKeysOnly) {
  redis::keyspace ks(1);
  const auto now = redis::now_ms();
  for (int i = 0; i < 100; ++i) ks.set(fmt::format("gone{}", i), "v", {.expire_at = now - 1});
  for (int i = 0; i < 100; ++i)
    ks.set(fmt::format("later{}", i), "v", {.expire_at = now + 1000000});
  for (int i = 0; i < 100; ++i) ks.set(fmt::format("plain{}", i), "v", {});
  std::size_t removed = 0;
  for (int round = 0; round < 1000 && ks.size() > 200; ++round) {
    const auto n = ks.sweep(0, 20);
    EXPECT_LE(n, 20u);  // a sweep samples at most 20 keys
    removed += n;
  }
  EXPECT_EQ(removed, 100u);
  EXPECT_EQ(ks.size(), 200);
  EXPECT_EQ(ks.volatile_size(), 100);
  EXPECT_EQ(ks.expired_keys(), 100u);
}

TEST(KeyspaceTest, ExpireConditions) {
  redis::keyspace ks(1);
  const auto far = redis::now_ms() + 1000000;
  ks.set("k", "v", {});
  EXPECT_FALSE(ks.expire_at("k", far, redis::expire_condition::xx));
  EXPECT_FALSE(ks.expire_at("k", far, redis::expire_condition::gt));  // none is infinite
  EXPECT_TRUE(ks.expire_at("k", far, redis::expire_condition::lt));
  EXPECT_FALSE(ks.expire_at("k", far, redis::expire_condition::nx));
  EXPECT_TRUE(ks.expire_at("k", far + 1, redis::expire_condition::gt));
  EXPECT_FALSE(ks.expire_at("missing", far, redis::expire_condition::always));
  EXPECT_TRUE(ks.expire_at("k", redis::now_ms() - 1, redis::expire_condition::always));
  EXPECT_EQ(ks.get("k"), std::nullopt);  // a time in the past deletes
}

class KeyspaceRuntimeTest : public goro_test::RuntimeTest {};

// Many fibers on every processor increment the same keys at once: each increment's read
// and write happen under one shard lock, so none is lost.
TEST_P(KeyspaceRuntimeTest, ConcurrentIncrLosesNoUpdate) {
  redis::keyspace ks(4);
  constexpr int fibers = 50, each = 2000;
  goro::wait_group wg;
  wg.add(fibers);
  for (int f = 0; f < fibers; ++f)
    goro::go([&, f] {
      const char* error = nullptr;
      for (int i = 0; i < each; ++i) {
        ks.incr_by("counter", 1, &error);
        ks.incr_by(fmt::format("k{}", f % 5), 2, &error);
        if (i % 100 == 0) goro::this_fiber::yield();
      }
      wg.done();
    });
  goro_test::bounded("the incrementing fibers ended", [&] { wg.wait(); });
  EXPECT_EQ(ks.get("counter"), std::to_string(fibers * each));
  for (int k = 0; k < 5; ++k)
    EXPECT_EQ(ks.get(fmt::format("k{}", k)), std::to_string(2 * each * fibers / 5));
}

GORO_INSTANTIATE(KeyspaceRuntimeTest, 1, 2, 4);

}  // namespace
