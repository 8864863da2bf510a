// Must be reported by AddressSanitizer: a fiber reads memory it freed, after migrating.
#include <cstdio>

#include <goro/goro.hpp>

[[gnu::noinline]] int read_freed(const int* p) { return *p; }

int main() {
  goro::start({.procs = 2});
  int v = goro::spawn([] {
            int* p = new int(7);
            goro::this_fiber::yield();
            delete p;
            goro::this_fiber::yield();
            return read_freed(p);  // the bug
          }).join();
  std::printf("read %d\n", v);
  goro::shutdown();
}
