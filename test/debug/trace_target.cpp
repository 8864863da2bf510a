// The program whose trace tools/trace_png.py draws in the debug.trace_png test: two
// processors, a ping-pong over a channel, sleepers (timer fires) and a blocking call.
#include <goro/goro.hpp>

int main() {
  return goro::run({.procs = 2}, [] {
    goro::chan<int> ping(0), pong(0);
    goro::scope s;
    s.spawn([&] {
      for (int v : ping) pong.send(v + 1);
    });
    for (int i = 0; i < 4; ++i)
      s.spawn([] { goro::this_fiber::sleep_for(std::chrono::milliseconds(1)); });
    s.spawn([] { goro::blocking([] { return 0; }); });
    for (int i = 0; i < 200; ++i) {
      ping.send(i);
      if (*pong.recv() != i + 1) return 1;
    }
    ping.close();
    s.wait();
    return 0;
  });
}
