// samples/jokes.cpp: a joke service and a proxy that fetches many jokes at once, every
// connection on a fiber of its own, over real HTTP on loopback.
//
//   joke service   GET /joke?id=N answers joke N after a delay (a slow backend)
//   proxy          GET /jokes?n=K fetches K jokes from the service, one fiber per joke,
//                  gathers them over a channel and answers them in id order
//
// main starts both servers, asks the proxy for K jokes, prints them, then does the same
// fetches one after another to show what the fibers saved, and shuts both servers down
// gracefully. The proxy's handler reads like blocking code; while its fibers wait on the
// network, the processors run other fibers (the network poller wakes each one when its
// answer arrives).
//
// --help: jokes [--jokes K=20] [--delay-ms D=20] [--procs N]
#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>
#include <goro/net/http.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: jokes [--jokes K=20] [--delay-ms D=20] [--procs N]\n"
    "  --jokes K     jokes the proxy fetches in parallel (1..1000)\n"
    "  --delay-ms D  how long the joke service takes per joke (0..1000)\n"
    "  --procs N     goro processors (default: one per hardware thread)\n";

constexpr std::string_view jokes[] = {
    "There are 10 kinds of people: those who know binary and those who don't.",
    "A SQL query walks into a bar, walks up to two tables and asks: may I join you?",
    "Why do programmers prefer dark mode? Because light attracts bugs.",
    "I would tell you a UDP joke, but you might not get it.",
    "Concurrency is not parallelism; my two cats prove it every morning.",
    "Knock knock. Race condition. Who's there?",
    "A fiber walks into a bar. The bartender says: we don't serve your thread here.",
    "Don't communicate by sharing memory; share memory by communicating.",
};

int query_int(std::string_view target, std::string_view key, int fallback) {
  auto at = target.find(key);
  if (at == target.npos) return fallback;
  int v = fallback;
  auto s = target.substr(at + key.size());
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

struct joke {
  int id;
  std::string text;
};

// One fiber per joke; each sends its joke back over a channel.
std::vector<joke> fetch_parallel(const std::string& service, int k) {
  goro::chan<joke> results(static_cast<std::size_t>(k));
  for (int id = 0; id < k; ++id) {
    goro::go([results, service, id] {
      auto rs = goro::http::get(fmt::format("http://{}/joke?id={}", service, id));
      results.send(joke{id, rs.body});
    });
  }
  std::vector<joke> out;
  for (int i = 0; i < k; ++i) out.push_back(*results.recv());
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return out;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) try {
  int k = 20, delay_ms = 20, procs = 0;
  samples::flags("jokes", usage)
      .integer("--jokes", k, 1, 1000)
      .integer("--delay-ms", delay_ms, 0, 1000)
      .integer("--procs", procs, 1, 1024)
      .parse(argc, argv);

  return goro::run({.procs = procs}, [&] {
    // The joke service: a slow backend.
    goro::http::server service([delay_ms](const goro::http::request& rq, goro::http::response& rs) {
      goro::this_fiber::sleep_for(std::chrono::milliseconds(delay_ms));  // parks this fiber only
      int id = query_int(rq.target, "id=", 0);
      rs.set_header("Content-Type", "text/plain");
      rs.body = fmt::format("#{}: {}", id, jokes[static_cast<std::size_t>(id) % std::size(jokes)]);
    });
    auto service_ln = goro::net::listen("127.0.0.1:0");
    const std::string service_addr = service_ln.local_address().to_string();
    auto serving_jokes = goro::spawn([&] { service.serve(service_ln); });

    // The proxy: fans one request out to K fibers, gathers their answers.
    goro::http::server proxy([&](const goro::http::request& rq, goro::http::response& rs) {
      std::string body;
      for (auto& j : fetch_parallel(service_addr, query_int(rq.target, "n=", 1)))
        body += j.text + "\n";
      rs.body = std::move(body);
    });
    auto proxy_ln = goro::net::listen("127.0.0.1:0");
    const std::string proxy_addr = proxy_ln.local_address().to_string();
    auto serving_proxy = goro::spawn([&] { proxy.serve(proxy_ln); });

    fmt::print("joke service on {} ({} ms per joke), proxy on {}\n", service_addr, delay_ms,
               proxy_addr);
    auto t0 = std::chrono::steady_clock::now();
    auto rs = goro::http::get(fmt::format("http://{}/jokes?n={}", proxy_addr, k));
    const double parallel_ms = ms_since(t0);
    std::string_view body = rs.body;
    int lines = 0;
    for (std::size_t at = 0; (at = body.find('\n', at)) != body.npos; ++at) ++lines;
    fmt::print("GET /jokes?n={} -> {} {} jokes:\n{}", k, rs.status, lines, rs.body);

    // The same fetches one after another, for comparison.
    t0 = std::chrono::steady_clock::now();
    for (int id = 0; id < k; ++id)
      goro::http::get(fmt::format("http://{}/joke?id={}", service_addr, id));
    const double sequential_ms = ms_since(t0);
    fmt::print(
        "{} jokes: {:.0f} ms with a fiber per fetch, {:.0f} ms one after another ({:.1f}x)\n", k,
        parallel_ms, sequential_ms, sequential_ms / parallel_ms);

    proxy.shutdown();
    service.shutdown();
    serving_proxy.join();
    serving_jokes.join();
    fmt::print("both servers shut down gracefully after {} + {} requests\n", proxy.requests(),
               service.requests());
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("jokes", e);
}
