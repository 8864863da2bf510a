// Must be reported by ThreadSanitizer: two fibers on two processors write one plain
// counter with no synchronisation between them.
#include <cstdio>

#include <goro/goro.hpp>

long racy_counter = 0;  // the race

[[gnu::noinline]] void bump() { racy_counter = racy_counter + 1; }

int main() {
  goro::start({.procs = 2});
  goro::wait_group started;
  started.add(2);
  auto body = [&] {
    started.done();
    started.wait();  // both running before the writes start
    for (int i = 0; i < 1000; ++i) bump();
  };
  auto a = goro::spawn(body);
  auto b = goro::spawn(body);
  a.join();
  b.join();
  std::printf("counter %ld\n", racy_counter);
  goro::shutdown();
}
