// A program built against an installed goro with only its pkg-config flags:
//   c++ -std=c++20 main.cpp $(pkg-config --cflags --libs goro)
// It uses each of goro's libraries (runtime, channels, patterns), so that a missing one, or
// one linked in the wrong order, fails to link.
#include <cstdio>

#include <goro/goro.hpp>

int main() {
  goro::chan<int> values(0);
  auto [ctx, cancel] = goro::with_cancel(goro::context::background());
  goro::go([values] { values.send(42); });
  int v = values.recv().value_or(0);
  cancel();
  std::printf("pkg-config consumer: %d over a channel, context %s\n", v,
              ctx.is_done() ? "canceled" : "live");
  return v == 42 && ctx.is_done() ? 0 : 1;
}
