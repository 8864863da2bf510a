// The flight recorder's export (see trace/export.hpp for TE1, TE2).
#include "trace/export.hpp"

#include <algorithm>
#include <iterator>
#include <ostream>
#include <vector>

#include <fmt/format.h>

#include <goro/detail/fiber_api.hpp>
#include <goro/trace.hpp>

#include "switch.hpp"
#include "trace/clock.hpp"

namespace goro::detail {

namespace {

const char* end_name(std::uint64_t action) {
  switch (static_cast<switch_action>(action)) {
    case switch_action::yield:
      return "yield";
    case switch_action::park:
      return "park";
    case switch_action::exit:
      return "exit";
    case switch_action::requeue:
      return "block";
    case switch_action::run:
      break;
  }
  return "switch";
}

struct writer {
  std::string out;
  trace_clock_map clock;
  std::int64_t now_ns = trace_monotonic_ns();
  bool first = true;

  template <typename... Args>
  void event(fmt::format_string<Args...> f, Args&&... args) {
    if (!first) out += ",\n";
    first = false;
    fmt::format_to(std::back_inserter(out), f, std::forward<Args>(args)...);
  }

  static double us(std::int64_t ns) { return static_cast<double>(ns) / 1000.0; }

  // TE1, TE2: one track.
  void track(int tid, const trace_ring& r) {
    const std::uint64_t head = r.head();
    std::uint64_t i = std::max(r.from.load(std::memory_order_relaxed),
                               head > trace_ring::capacity ? head - trace_ring::capacity : 0);
    std::vector<trace_event> evs;
    evs.reserve(static_cast<std::size_t>(head - i));
    for (trace_event e; i < head; ++i)
      if (r.read(i, e)) evs.push_back(e);
    if (evs.empty()) return;
    if (tid == shared_trace_tid) {
      event(
          R"j({{"name":"thread_name","ph":"M","pid":0,"tid":{},"args":{{"name":"threads (no P)"}}}})j",
          tid);
    } else {
      event(R"({{"name":"thread_name","ph":"M","pid":0,"tid":{},"args":{{"name":"P{}"}}}})", tid,
            tid);
      event(
          R"({{"name":"thread_sort_index","ph":"M","pid":0,"tid":{},"args":{{"sort_index":{}}}}})",
          tid, tid);
    }
    // Instants are written as they come; a slice when it closes, so its start may precede
    // the instants within it: buffer the track, then write it in start order.
    struct item {
      std::int64_t ns;
      std::string text;
    };
    std::vector<item> items;
    std::int64_t last = 0;
    bool open = false;
    std::int64_t open_ns = 0;
    std::uint64_t open_fiber = 0;
    auto close = [&](std::int64_t end, const char* why, const char* reason) {
      if (!open) return;
      open = false;
      std::string args =
          reason ? fmt::format(R"("fiber":{},"end":"{}","reason":"{}")", open_fiber, why, reason)
                 : fmt::format(R"("fiber":{},"end":"{}")", open_fiber, why);
      items.push_back(
          {open_ns,
           fmt::format(
               R"({{"name":"fiber {}","cat":"run","ph":"X","pid":0,"tid":{},"ts":{:.3f},"dur":{:.3f},"args":{{{}}}}})",
               open_fiber, tid, us(open_ns), us(end - open_ns), args)});
    };
    auto instant = [&](std::int64_t ns, const char* name, std::string args) {
      items.push_back(
          {ns,
           fmt::format(
               R"({{"name":"{}","cat":"sched","ph":"i","s":"t","pid":0,"tid":{},"ts":{:.3f},"args":{{{}}}}})",
               name, tid, us(ns), args)});
    };
    for (const trace_event& e : evs) {
      const std::int64_t ns = std::max(last, clock.ns(e.ticks));  // TC2
      last = ns;
      switch (e.kind) {
        case trace_kind::run:
          close(ns, "lost", nullptr);  // its stop was overwritten (TE2)
          open = true;
          open_ns = ns;
          open_fiber = e.fiber;
          break;
        case trace_kind::stop: {
          const auto reason = static_cast<wait_reason>(e.arg >> 8);
          const std::uint64_t action = e.arg & 0xff;
          if (open && open_fiber == e.fiber) {
            close(ns, end_name(action),
                  static_cast<switch_action>(action) == switch_action::park ? to_string(reason)
                                                                            : nullptr);
          } else {
            close(ns, "lost", nullptr);
          }
          break;
        }
        case trace_kind::handoff: {
          const auto reason = static_cast<wait_reason>(e.arg >> 8);
          const std::uint64_t action = e.arg & 0xff;
          close(ns, end_name(action),
                static_cast<switch_action>(action) == switch_action::park ? to_string(reason)
                                                                          : nullptr);
          open = true;
          open_ns = ns;
          open_fiber = e.fiber;
          break;
        }
        case trace_kind::spawn:
          instant(ns, "spawn", fmt::format(R"("fiber":{},"parent":{})", e.fiber, e.arg));
          break;
        case trace_kind::ready:
          instant(ns, "ready", fmt::format(R"("fiber":{})", e.fiber));
          break;
        case trace_kind::steal:
          instant(ns, "steal",
                  fmt::format(R"("from":"P{}","count":{})", e.arg & 0xffff, e.arg >> 16));
          break;
        case trace_kind::timers:
          instant(ns, "timer fire", fmt::format(R"("count":{})", e.arg));
          break;
        case trace_kind::netpoll:
          instant(ns, "poller wakeup", fmt::format(R"("count":{})", e.arg));
          break;
        case trace_kind::blocking_enter:
          if (open && open_fiber == e.fiber) close(ns, "blocking", nullptr);
          instant(ns, "blocking enter", fmt::format(R"("fiber":{})", e.fiber));
          break;
        case trace_kind::blocking_exit:
          instant(ns, "blocking exit", fmt::format(R"("fiber":{})", e.fiber));
          break;
      }
    }
    close(std::max(last, now_ns), "running", nullptr);  // TE2: still running at the export
    std::stable_sort(items.begin(), items.end(),
                     [](const item& a, const item& b) { return a.ns < b.ns; });
    for (auto& it : items) event("{}", it.text);
  }
};

}  // namespace

std::string trace_json() {
  trace_clock_init();  // a no-op once recording has started
  writer w;
  w.out = "{\"traceEvents\":[\n";
  w.event(R"({{"name":"process_name","ph":"M","pid":0,"tid":0,"args":{{"name":"goro"}}}})");
  for_each_trace_ring(
      [](int tid, const trace_ring& r, void* a) { static_cast<writer*>(a)->track(tid, r); }, &w);
  w.out += fmt::format(
      "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{{\"clock\":\"{}\",\"overwritten\":{}}}}}\n",
      trace_uses_tsc ? "tsc" : "monotonic", goro::trace::overwritten());
  return w.out;
}

void write_trace(std::FILE* out) {
  const std::string s = trace_json();
  std::fwrite(s.data(), 1, s.size(), out);
  std::fflush(out);
}

}  // namespace goro::detail

namespace goro::trace {

void write(std::ostream& out) {
  const std::string s = detail::trace_json();
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
  out.flush();
}

void write(std::FILE* out) { detail::write_trace(out); }

}  // namespace goro::trace
