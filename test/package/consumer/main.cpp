// A program built against an installed goro through find_package(goro CONFIG).
#include <cstdio>

#include <goro/goro.hpp>

int main() {
  int v = goro::spawn([] { return 42; }).join();
  std::printf("consumer: %d from a fiber\n", v);
  return v == 42 ? 0 : 1;
}
