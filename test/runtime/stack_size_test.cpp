// spawn_options::stack_size at its edges: 0 is the default, a tiny size is raised to the
// minimum, sizes round up to pages, 1 GiB is the most, and anything above it is refused
// with goro::option_error naming the value and the range (it used to wrap: 1 << 62 was a
// SIGSEGV in fiber_create, SIZE_MAX silently gave 16 KiB).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include <goro/error.hpp>
#include <goro/spawn.hpp>

#include "fiber.hpp"
#include "goro_test.hpp"

namespace {

using StackSizeTest = goro_test::RuntimeTest;

constexpr std::size_t KiB = 1024;
constexpr std::size_t GiB = std::size_t{1} << 30;

// The usable size of the stack a fiber spawned with `size` runs on.
std::size_t stack_of_a_fiber_spawned_with(std::size_t size) {
  return goro::spawn({.stack_size = size}, [] { return goro::detail::current_fiber()->stk.size; })
      .join();
}

// spawn() and go() with `size` both throw goro::option_error naming `size` and the range,
// and start no fiber.
void expect_refused(std::size_t size) {
  const std::string value = "stack_size=" + std::to_string(size);
  const auto before = goro::live_fibers();
  bool ran = false;
  try {
    auto h = goro::spawn({.stack_size = size}, [&] { ran = true; });
    h.join();
    ADD_FAILURE() << "spawn accepted stack_size=" << size;
  } catch (const goro::option_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(value), std::string::npos) << what;
    EXPECT_NE(what.find("at most 1 GiB"), std::string::npos) << what;
  }
  try {
    goro::go({.stack_size = size}, [&] { ran = true; });
    ADD_FAILURE() << "go accepted stack_size=" << size;
  } catch (const goro::option_error& e) {
    EXPECT_NE(std::string(e.what()).find(value), std::string::npos) << e.what();
  }
  EXPECT_FALSE(ran);
  EXPECT_EQ(goro::live_fibers(), before);
}

TEST_P(StackSizeTest, ZeroIsTheDefault) { EXPECT_EQ(stack_of_a_fiber_spawned_with(0), 64 * KiB); }

TEST_P(StackSizeTest, TinyIsRaisedToTheMinimum) {
  EXPECT_EQ(stack_of_a_fiber_spawned_with(1), 16 * KiB);
  EXPECT_EQ(stack_of_a_fiber_spawned_with(16 * KiB - 1), 16 * KiB);
}

TEST_P(StackSizeTest, RoundsUpToPages) {
  EXPECT_EQ(stack_of_a_fiber_spawned_with(64 * KiB + 1), 68 * KiB);
}

TEST_P(StackSizeTest, OneGibIsTheMost) {
  EXPECT_EQ(stack_of_a_fiber_spawned_with(GiB), GiB);
  EXPECT_EQ(stack_of_a_fiber_spawned_with(GiB - 1), GiB);
}

TEST_P(StackSizeTest, OneByteAboveTheMostIsRefused) { expect_refused(GiB + 1); }

TEST_P(StackSizeTest, TwoToTheSixtySecondIsRefused) { expect_refused(std::size_t{1} << 62); }

TEST_P(StackSizeTest, SizeMaxIsRefused) { expect_refused(std::numeric_limits<std::size_t>::max()); }

// A page short of SIZE_MAX: rounding up to pages alone would wrap to 0.
TEST_P(StackSizeTest, APageShortOfSizeMaxIsRefused) {
  expect_refused(std::numeric_limits<std::size_t>::max() - 4095);
}

GORO_INSTANTIATE(StackSizeTest, 1, 2);

}  // namespace
