// Internal. Lock annotations that clang checks (-Wthread-safety, on in every clang build:
// cmake/options.cmake): a field says which lock guards it, a function which locks it needs
// or takes, and the compiler proves every access holds them. Other compilers see nothing.
// What the analysis cannot follow (a lock released on the other side of a context switch,
// locks taken in a loop) is said with GORO_NO_THREAD_SAFETY_ANALYSIS and a comment why.
#pragma once

#include <mutex>

#if defined(__clang__)
#define GORO_TSA(x) __attribute__((x))
#else
#define GORO_TSA(x)
#endif

#define GORO_CAPABILITY(name) GORO_TSA(capability(name))
#define GORO_SCOPED_CAPABILITY GORO_TSA(scoped_lockable)
#define GORO_GUARDED_BY(lock) GORO_TSA(guarded_by(lock))
#define GORO_REQUIRES(...) GORO_TSA(requires_capability(__VA_ARGS__))
#define GORO_ACQUIRE(...) GORO_TSA(acquire_capability(__VA_ARGS__))
#define GORO_RELEASE(...) GORO_TSA(release_capability(__VA_ARGS__))
#define GORO_TRY_ACQUIRE(...) GORO_TSA(try_acquire_capability(__VA_ARGS__))
#define GORO_RETURN_CAPABILITY(lock) GORO_TSA(lock_returned(lock))
#define GORO_NO_THREAD_SAFETY_ANALYSIS GORO_TSA(no_thread_safety_analysis)

namespace goro::detail {

// std::mutex as a capability the analysis knows (libstdc++'s is not annotated): the same
// lock, locked through guard<checked_mutex>.
class GORO_CAPABILITY("mutex") checked_mutex {
 public:
  void lock() GORO_ACQUIRE() { m_.lock(); }
  bool try_lock() GORO_TRY_ACQUIRE(true) { return m_.try_lock(); }
  void unlock() GORO_RELEASE() { m_.unlock(); }

 private:
  std::mutex m_;
};

// std::lock_guard for an annotated lock: held from construction to the end of the scope.
template <class Lock>
class GORO_SCOPED_CAPABILITY guard {
 public:
  explicit guard(Lock& l) GORO_ACQUIRE(l) : l_(l) { l_.lock(); }
  ~guard() GORO_RELEASE() { l_.unlock(); }
  guard(const guard&) = delete;
  guard& operator=(const guard&) = delete;

 private:
  Lock& l_;
};

}  // namespace goro::detail
