// C++ exception state travels with the fiber (switch.hpp C2): a fiber parks inside a
// catch block, resumes (maybe on another thread, while other fibers caught their own
// exceptions on that thread), and `throw;` rethrows its own exception.
#include <atomic>
#include <exception>
#include <stdexcept>
#include <string>

#include "goro_test.hpp"

namespace {

using ExceptionSwitchTest = goro_test::RuntimeTest;

struct tagged : std::runtime_error {
  int tag;
  explicit tagged(int t) : std::runtime_error("tagged " + std::to_string(t)), tag(t) {}
};

// Throws, parks inside the catch, rethrows with `throw;` and checks the tag that arrives.
int catch_park_rethrow(int tag, int switches) {
  try {
    try {
      throw tagged(tag);
    } catch (const tagged&) {
      if (std::uncaught_exceptions() != 0) return -1;
      for (int i = 0; i < switches; ++i) goro::this_fiber::yield();
      throw;  // must rethrow *this* fiber's exception
    }
  } catch (const tagged& t) {
    return t.tag;
  }
  return -2;
}

TEST_P(ExceptionSwitchTest, ThrowInCatchRethrowsOwnExceptionAfterSwitches) {
  EXPECT_EQ(goro::spawn(catch_park_rethrow, 7, 10).join(), 7);
}

TEST_P(ExceptionSwitchTest, ManyFibersAtOnceAcrossThreads) {
  const int n = static_cast<int>(goro_test::scaled(10'000));
  std::atomic<int> wrong{0};
  goro::wait_group wg;
  wg.add(n);
  for (int i = 0; i < n; ++i)
    goro::go([&, i] {
      if (catch_park_rethrow(i, 1 + i % 5) != i) wrong.fetch_add(1);
      wg.done();
    });
  wg.wait();
  EXPECT_EQ(wrong.load(), 0);
}

// A destructor that parks during unwinding: uncaught_exceptions() must stay 1 across the
// switch, while other fibers run normally.
TEST_P(ExceptionSwitchTest, UncaughtCountSurvivesParkingInADestructor) {
  const int n = static_cast<int>(goro_test::scaled(1000));
  std::atomic<int> wrong{0};
  goro::wait_group wg;
  wg.add(n);
  for (int i = 0; i < n; ++i)
    goro::go([&] {
      struct parks_in_dtor {
        std::atomic<int>* wrong;
        ~parks_in_dtor() {
          goro::this_fiber::yield();
          if (std::uncaught_exceptions() != 1) wrong->fetch_add(1);
        }
      };
      try {
        parks_in_dtor p{&wrong};
        throw std::runtime_error("unwinding");
      } catch (const std::runtime_error&) {
      }
      if (std::uncaught_exceptions() != 0) wrong.fetch_add(1);
      wg.done();
    });
  wg.wait();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_P(ExceptionSwitchTest, ExceptionsAfterMigrationReachTheJoiner) {
  const int n = static_cast<int>(goro_test::scaled(10'000));
  std::vector<goro::join_handle<int>> hs;
  hs.reserve(n);
  for (int i = 0; i < n; ++i)
    hs.push_back(goro::spawn([i]() -> int {
      goro::this_fiber::yield();
      throw tagged(i);
    }));
  int right = 0;
  for (int i = 0; i < n; ++i) {
    try {
      hs[i].join();
    } catch (const tagged& t) {
      right += t.tag == i && std::string(t.what()) == "tagged " + std::to_string(i);
    }
  }
  EXPECT_EQ(right, n);
}

GORO_INSTANTIATE(ExceptionSwitchTest, 1, 2, 4);

}  // namespace
