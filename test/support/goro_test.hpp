// Test support: a fixture that runs each case on 1, 2 and 4 processors and checks at
// teardown that every fiber ended; stress sizes by tier (GORO_STRESS=ci|sanitizer|nightly);
// bounded waits that fail with a dump instead of hanging (bounded.hpp).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string_view>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <goro/goro.hpp>

#include "bounded.hpp"

namespace goro_test {

// Scales a CI-size count by the stress tier: sanitizer builds run a tenth (at least 1),
// nightly ten times more.
inline std::int64_t scaled(std::int64_t ci) {
  const char* t = std::getenv("GORO_STRESS");
  std::string_view tier = t ? t : "ci";
  if (tier == "sanitizer") return ci / 10 > 0 ? ci / 10 : 1;
  if (tier == "nightly") return ci * 10;
  return ci;
}

inline bool sanitizer_tier() {
  const char* t = std::getenv("GORO_STRESS");
  return t && std::string_view(t) == "sanitizer";
}

// The seed of a randomized test: GORO_TEST_SEED replays one; printed on failure.
inline std::uint64_t seed() {
  if (const char* s = std::getenv("GORO_TEST_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

class RuntimeTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { goro::start({.procs = GetParam()}); }
  void TearDown() override {
    goro::shutdown();
    EXPECT_EQ(goro::live_fibers(), 0) << "fibers still alive at the end of the test";
  }
};

inline std::string procs_name(const ::testing::TestParamInfo<int>& info) {
  return fmt::format("P{}", info.param);
}

}  // namespace goro_test

#define GORO_INSTANTIATE(Suite, ...) \
  INSTANTIATE_TEST_SUITE_P(Procs, Suite, ::testing::Values(__VA_ARGS__), goro_test::procs_name)
