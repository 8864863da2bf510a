// goro: Go's concurrency for C++20. The umbrella header: every public header of the three
// modules (runtime, channels, patterns); it lives in the top one, patterns, which sits on the
// other two.
#pragma once

#include <goro/barrier.hpp>
#include <goro/blocking.hpp>
#include <goro/chan.hpp>
#include <goro/clock.hpp>
#include <goro/condition_variable.hpp>
#include <goro/context.hpp>
#include <goro/error.hpp>
#include <goro/latch.hpp>
#include <goro/mutex.hpp>
#include <goro/once.hpp>
#include <goro/run.hpp>
#include <goro/runtime.hpp>
#include <goro/scope.hpp>
#include <goro/select.hpp>
#include <goro/semaphore.hpp>
#include <goro/shared_mutex.hpp>
#include <goro/spawn.hpp>
#include <goro/stats.hpp>
#include <goro/this_fiber.hpp>
#include <goro/time.hpp>
#include <goro/wait_group.hpp>
