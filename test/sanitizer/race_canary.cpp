// Must be reported by ThreadSanitizer: two fibers on two processors write one plain
// counter with no synchronisation between them.
#include <atomic>
#include <cstdio>

#include <goro/goro.hpp>

long racy_counter = 0;  // the race

[[gnu::noinline]] void bump() { racy_counter = racy_counter + 1; }

int main() {
  goro::start({.procs = 2});
  // Each fiber spins (without a scheduling point) until the other is running: they must
  // be on two machines at once. Relaxed flags: no happens-before for TSan to see.
  std::atomic<int> arrived{0};
  auto body = [&] {
    arrived.fetch_add(1, std::memory_order_relaxed);
    while (arrived.load(std::memory_order_relaxed) < 2) {
    }
    for (int i = 0; i < 1000; ++i) bump();
  };
  auto a = goro::spawn(body);
  auto b = goro::spawn(body);
  a.join();
  b.join();
  std::printf("counter %ld\n", racy_counter);
  goro::shutdown();
}
