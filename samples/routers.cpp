// samples/routers.cpp: 200,000 simulated home routers send state events (online, offline,
// firmware updated) to a dispatcher, which gives each router a fiber of its own the first
// time it hears from it; an HTTP endpoint answers questions about any router's state while
// the events flow. Each router fiber owns its state alone: events and queries reach it
// over its mailbox channel, so no lock guards any router (Go's "share memory by
// communicating", 200,000 times over).
//
//   sources (fibers) --events--> dispatcher --mailbox--> router fiber (one per router)
//   HTTP GET /router?id=N --query--> router N's mailbox --reply channel--> the handler
//
// Prints the events per second, the query latency (p50 / p99) measured by a client that
// asks about random routers during the flood, and checks at the end that every router
// counted every event sent to it.
//
// --help: routers [--routers N=200000] [--events E=2000000] [--queries Q=2000] [--procs P]
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>
#include <goro/net/http.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: routers [--routers N=200000] [--events E=2000000] [--queries Q=2000] [--procs P]\n"
    "  --routers N  simulated routers, one fiber each (1..2000000)\n"
    "  --events E   state events sent in all (1..100000000)\n"
    "  --queries Q  HTTP queries about random routers during the flood (0..1000000)\n"
    "  --procs P    goro processors (default: one per hardware thread)\n";

enum class kind : std::uint8_t { online, offline, firmware };

struct event {
  std::uint32_t router;
  kind what;
  std::uint32_t firmware;  // for kind::firmware
};

struct state {
  bool online = false;
  std::uint32_t firmware = 1;
  std::uint64_t events = 0;
};

struct query {
  goro::chan<state> reply;  // capacity 1: the router never waits for the asker
};

using message = std::variant<event, query>;

// A router: applies its events, answers queries, until its mailbox closes.
void router(goro::chan<message> mailbox, std::uint64_t* final_count) {
  state s;
  for (message& m : mailbox) {
    if (auto* e = std::get_if<event>(&m)) {
      ++s.events;
      if (e->what == kind::online) s.online = true;
      if (e->what == kind::offline) s.online = false;
      if (e->what == kind::firmware) s.firmware = e->firmware;
    } else {
      std::get<query>(m).reply.send(s);
    }
  }
  *final_count = s.events;
}

int id_of(std::string_view target) {
  auto at = target.find("id=");
  int id = -1;
  if (at != target.npos) {
    auto v = target.substr(at + 3);
    std::from_chars(v.data(), v.data() + v.size(), id);
  }
  return id;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) try {
  int routers = 200'000, events = 2'000'000, queries = 2000, procs = 0;
  samples::flags("routers", usage)
      .integer("--routers", routers, 1, 2'000'000)
      .integer("--events", events, 1, 100'000'000)
      .integer("--queries", queries, 0, 1'000'000)
      .integer("--procs", procs, 1, 1024)
      .parse(argc, argv);

  return goro::run({.procs = procs}, [&] {
    // Mailboxes exist from the start (a nil channel until the dispatcher opens one); only
    // the dispatcher writes this table, queries read it after asking the dispatcher.
    std::vector<goro::chan<message>> mailboxes(static_cast<std::size_t>(routers));
    std::vector<std::uint64_t> counted(static_cast<std::size_t>(routers), 0);
    std::vector<std::uint64_t> sent(static_cast<std::size_t>(routers), 0);
    goro::wait_group router_fibers;

    // The dispatcher: the one owner of the mailbox table. A query for a router that has
    // not spoken yet is answered with "never heard from" (an empty state).
    struct lookup {
      std::uint32_t router;
      goro::chan<goro::chan<message>> reply;
    };
    // Sources send events in batches: one channel operation per 256 events instead of
    // one per event (the inbox is the one channel every source shares).
    constexpr std::size_t batch = 256;
    goro::chan<std::vector<event>> inbox(64);
    goro::chan<lookup> lookups(64);
    auto dispatcher = goro::spawn({.name = "dispatcher"}, [&] {
      bool inbox_open = true;
      while (inbox_open) {
        goro::select(goro::recv(inbox,
                                [&](std::optional<std::vector<event>> es) {
                                  if (!es) {
                                    inbox_open = false;
                                    return;
                                  }
                                  for (const event& e : *es) {
                                    auto& box = mailboxes[e.router];
                                    if (!box) {  // first word from this router: give it a fiber
                                      box = goro::chan<message>(16);
                                      router_fibers.add(1);
                                      goro::go([box, c = &counted[e.router], &router_fibers] {
                                        router(box, c);
                                        router_fibers.done();
                                      });
                                    }
                                    box.send(e);
                                  }
                                }),
                     goro::recv(lookups, [&](std::optional<lookup> l) {
                       if (l) l->reply.send(mailboxes[l->router]);
                     }));
      }
      for (auto& box : mailboxes)
        if (box) box.close();  // routers drain their mailboxes and end
    });

    // The HTTP endpoint: GET /router?id=N.
    goro::http::server api([&](const goro::http::request& rq, goro::http::response& rs) {
      int id = id_of(rq.target);
      if (id < 0 || id >= routers) {
        rs.status = 404;
        rs.body = "no such router\n";
        return;
      }
      goro::chan<goro::chan<message>> where(1);
      lookups.send(lookup{static_cast<std::uint32_t>(id), where});
      goro::chan<message> box = *where.recv();
      if (!box) {
        rs.body = fmt::format("router {}: never heard from\n", id);
        return;
      }
      goro::chan<state> reply(1);
      box.send(query{reply});
      state s = *reply.recv();
      rs.body = fmt::format("router {}: {}, firmware {}, {} events\n", id,
                            s.online ? "online" : "offline", s.firmware, s.events);
    });
    auto ln = goro::net::listen("127.0.0.1:0");
    const std::string addr = ln.local_address().to_string();
    auto serving = goro::spawn([&] { api.serve(ln); });

    // Event sources: four fibers, each a share of the events for random routers.
    fmt::print("{} routers, {} events, HTTP queries on {}\n", routers, events, addr);
    auto t0 = std::chrono::steady_clock::now();
    constexpr int sources = 4;
    std::vector<std::vector<std::uint64_t>> sent_by(sources,
                                                    std::vector<std::uint64_t>(sent.size()));
    goro::wait_group sending;
    sending.add(sources);
    for (int src = 0; src < sources; ++src) {
      goro::go([&, src] {
        std::mt19937 rng(static_cast<unsigned>(src + 1));
        std::vector<event> pending;
        for (int i = src; i < events; i += sources) {
          auto r = static_cast<std::uint32_t>(rng() % static_cast<unsigned>(routers));
          auto k = static_cast<kind>(rng() % 3);
          pending.push_back(event{r, k, static_cast<std::uint32_t>(rng() % 100)});
          ++sent_by[src][r];
          if (pending.size() == batch) inbox.send(std::exchange(pending, {}));
        }
        if (!pending.empty()) inbox.send(std::move(pending));
        sending.done();
      });
    }

    // A client asking about random routers while the events flow.
    std::vector<double> latencies_ms;
    std::string sample_answer;
    auto asker = goro::spawn([&] {
      goro::http::client c(addr);
      std::mt19937 rng(42);
      for (int q = 0; q < queries; ++q) {
        auto q0 = std::chrono::steady_clock::now();
        auto rs = c.get(fmt::format("/router?id={}", rng() % static_cast<unsigned>(routers)));
        latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - q0)
                .count());
        if (q == queries / 2) sample_answer = rs.body;
      }
    });

    sending.wait();  // every event is in the dispatcher's hands (its inbox holds 64 batches)
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    asker.join();  // queries need the dispatcher: they end first
    api.shutdown();
    serving.join();
    inbox.close();  // the dispatcher forwards the rest, closes every mailbox and ends
    dispatcher.join();
    router_fibers.wait();

    std::uint64_t mismatched = 0, fibers = 0;
    for (std::size_t r = 0; r < sent.size(); ++r) {
      std::uint64_t total = 0;
      for (auto& s : sent_by) total += s[r];
      if (total != counted[r]) ++mismatched;
      if (mailboxes[r]) ++fibers;
    }
    fmt::print("{} router fibers handled {} events in {:.2f} s: {:.2f} M events/s\n", fibers,
               events, secs, events / secs / 1e6);
    if (queries > 0) {
      fmt::print("a query during the flood: {}", sample_answer);
      double p50 = percentile(latencies_ms, 0.50), p99 = percentile(latencies_ms, 0.99);
      fmt::print("{} HTTP queries: latency p50 {:.2f} ms, p99 {:.2f} ms\n", queries, p50, p99);
    }
    fmt::print("{}\n", mismatched == 0 ? "every router counted every event sent to it"
                                       : fmt::format("{} routers miscounted!", mismatched));
    return mismatched == 0 ? 0 : 1;
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("routers", e);
}
