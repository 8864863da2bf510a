// goro::http::server: one fiber per connection.
// HS1: the server registers a connection (and counts it in `active`) under `mu` only while
//      not stopping; shutdown() sets stopping under `mu`, then closes the listener and the
//      idle connections, then waits for `active`: no connection starts after it looked.
// HS2: what goes on the wire is a response serialize() accepted with a status in 200..599,
//      or the generic 500: a handler's failure (an exception of any type, an invalid
//      response) is logged, never written.
// HS3: once its handler has returned, a connection whose client stops cooperating ends
//      within bounded time (deadlines.hpp HD1..HD3, linger.hpp): shutdown() waits for no
//      client, only for handlers.
#include <algorithm>
#include <atomic>
#include <list>
#include <mutex>

#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>

#include <goro/error.hpp>
#include <goro/mutex.hpp>
#include <goro/net/http/server.hpp>
#include <goro/spawn.hpp>
#include <goro/wait_group.hpp>

#include "deadlines.hpp"
#include "error_log.hpp"
#include "framing.hpp"
#include "linger.hpp"
#include "reader.hpp"
#include "wire.hpp"

namespace goro::http {

namespace bhttp = boost::beast::http;
using detail::deadline_after;
using detail::serialize;

namespace {

using detail::headers_of;

// What read_request() found: the end of the stream between requests, a status to answer
// before closing (HF1-HF5 of framing.hpp, 400/413/431 from the parser), or a request.
struct incoming {
  bool closed = false;
  int status = 0;
  std::string why;  // the body of that answer
  request rq;
};

// Reads one request: its head, the checks of framing.hpp on it, `100 Continue` if it asks
// and its body is to come, then its body. Nothing past a rejected head is parsed (the
// caller closes). `peak`: server::peak_buffered_bytes(). A deadline of `clock` (HD2, HD3)
// throws net::timeout_error.
incoming read_request(net::stream& s, std::string& buf, const server_options& o,
                      std::atomic<std::size_t>& peak, detail::request_clock& clock) {
  bhttp::request_parser<bhttp::string_body> p;
  p.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
  p.body_limit(o.max_body_bytes);
  detail::request_reader rd(s, buf, p, o.max_header_bytes, peak, clock);
  auto rejected = [](const boost::beast::error_code& ec) {
    incoming in;
    in.status = ec == bhttp::error::header_limit ? 431 : ec == bhttp::error::body_limit ? 413 : 400;
    in.why = fmt::format("{}\n", ec.message());
    return in;
  };
  boost::beast::error_code ec;
  if (!rd.read_head(ec)) return {.closed = true};
  if (ec) return rejected(ec);
  clock.head_read();  // HD2: the body's deadline; HD3: the answer's (100 Continue's too)
  const auto cl = p.content_length();
  const auto v = detail::check_request_head(p.get(), p.chunked(),
                                            cl ? std::optional<std::uint64_t>(*cl) : std::nullopt);
  if (v.status != 0) return {.status = v.status, .why = std::string(v.why)};
  if (v.expect_continue) s.write_all("HTTP/1.1 100 Continue\r\n\r\n");  // HF5
  rd.read_body(ec);
  if (ec) return rejected(ec);
  auto& m = p.get();
  incoming in;
  in.rq.method.assign(m.method_string().data(), m.method_string().size());
  in.rq.target.assign(m.target().data(), m.target().size());
  in.rq.headers = headers_of(m);
  in.rq.body = std::move(m.body());
  in.rq.keep_alive = m.keep_alive() && !v.close_after;  // HF3
  return in;
}

// The answer a failed handler's request gets (HS2): nothing of what failed.
response internal_error() {
  response rs;
  rs.status = 500;
  rs.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  rs.body = "Internal Server Error\n";
  return rs;
}

// An answer the server gives on its own (408; the framing's 400, 413, 431, 501).
response error_answer(int status, std::string body) {
  response rs;
  rs.status = status;
  rs.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  rs.body = std::move(body);
  return rs;
}

// Go's zero means "no limit"; goro's limits are positive (nanoseconds::max(): none).
void check_options(const server_options& o) {
  auto duration = [](std::chrono::nanoseconds d, std::string_view name) {
    if (d.count() <= 0)
      throw option_error(
          fmt::format("goro::http::server: server_options::{} is {}ns: want a positive duration "
                      "(std::chrono::nanoseconds::max() for none)",
                      name, d.count()));
  };
  auto size = [](std::size_t n, std::string_view name) {
    if (n == 0)
      throw option_error(
          fmt::format("goro::http::server: server_options::{} is 0: want a positive size", name));
  };
  size(o.max_header_bytes, "max_header_bytes");
  size(o.max_body_bytes, "max_body_bytes");
  duration(o.read_header_timeout, "read_header_timeout");
  duration(o.read_timeout, "read_timeout");
  duration(o.write_timeout, "write_timeout");
  duration(o.idle_timeout, "idle_timeout");
}

// Bodies above this go out in a write of their own, not copied after the head.
constexpr std::size_t copy_body_below = 16 * 1024;

}  // namespace

struct server::state {
  handler h;
  server_options opts;
  struct conn {
    std::shared_ptr<net::stream> s;
    std::atomic<bool> idle{true};
  };
  goro::mutex mu;  // HS1: guards the three below
  bool stopping = false;
  net::listener* ln = nullptr;
  std::list<std::shared_ptr<conn>> conns;
  std::atomic<bool> stop_flag{false};  // stopping, readable without mu
  goro::wait_group active;             // HS1: connection fibers
  std::atomic<std::uint64_t> served{0};
  std::atomic<std::size_t> peak_buffered{0};

  std::function<void(std::string_view)> log;  // opts.error_log, or the default (stderr)

  void run(std::shared_ptr<conn> c);
  response call_handler(const request& rq);
  void respond(net::stream& s, const request& rq, bool keep_alive);
  void log_failure(const request& rq, std::string_view what) noexcept;
};

// One line (control characters become spaces) to the error log; a failing log is ignored.
void server::state::log_failure(const request& rq, std::string_view what) noexcept {
  try {
    std::string line = fmt::format("goro::http: handler for {} {} {}", rq.method, rq.target, what);
    for (char& ch : line)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = ' ';
    log(line);
  } catch (...) {
  }
}

// The handler's response, or the generic 500 if it threw anything (HS2).
response server::state::call_handler(const request& rq) {
  try {
    response rs;
    h(rq, rs);
    return rs;
  } catch (const std::exception& e) {
    log_failure(rq, fmt::format("threw: {}", e.what()));
  } catch (...) {
    log_failure(rq, "threw: a non-std exception");
  }
  return internal_error();
}

// Runs the handler and writes its answer (HS2), under the write deadline (HD3).
void server::state::respond(net::stream& s, const request& rq, bool keep_alive) {
  response rs = call_handler(rq);
  const bool head = rq.method == "HEAD";
  // The body's bytes on the wire (HW3, HW4), and those that go out in the head's write.
  auto body_bytes = [&] { return detail::sends_body(rs.status, head) ? rs.body.size() : 0; };
  auto copied = [&] { return body_bytes() < copy_body_below ? body_bytes() : 0; };
  std::string wire;
  try {
    if (rs.status < 200 && rs.status >= 100)  // 101 and the 1xx: no upgrades from handlers
      throw invalid_message(fmt::format("status {} is an informational status", rs.status));
    wire = detail::serialize_head(rs, keep_alive, copied());
  } catch (const invalid_message& e) {
    log_failure(rq, fmt::format("set an invalid response: {}", e.what()));
    rs = internal_error();
    wire = detail::serialize_head(rs, keep_alive, copied());
  }
  served.fetch_add(1, std::memory_order_relaxed);  // before the client can see the answer
  wire.append(rs.body, 0, copied());
  s.write_all(wire);
  if (copied() == 0 && body_bytes() > 0) s.write_all(rs.body);
}

void server::state::run(std::shared_ptr<conn> c) {
  net::stream& s = *c->s;
  std::string buf;  // HR1
  const auto accepted = detail::coarse_now();
  std::size_t handled = 0;
  try {
    while (!stop_flag.load(std::memory_order_acquire)) {
      const bool first = handled == 0;
      c->idle.store(true, std::memory_order_release);
      const bool started = detail::await_request(  // HD1: a silent end when nothing comes
          s, buf,
          first ? detail::deadline_from(accepted, opts.read_header_timeout)
                : deadline_after(opts.idle_timeout));
      c->idle.store(false, std::memory_order_release);
      if (!started) break;
      const auto now = detail::coarse_now();
      detail::request_clock clock(s, opts, first ? accepted : now, now);
      incoming in;
      try {
        in = read_request(s, buf, opts, peak_buffered, clock);  // HD2
      } catch (const net::timeout_error&) {
        detail::answer_and_linger(s, error_answer(408, "Request Timeout\n"), opts.write_timeout);
        break;
      }
      if (in.closed) break;  // the client closed between requests
      if (in.status != 0) {  // HF1-HF5, limits: answered, and nothing after it is parsed
        detail::answer_and_linger(s, error_answer(in.status, std::move(in.why)),
                                  opts.write_timeout);
        break;
      }
      const request& rq = in.rq;

      ++handled;
      const auto max = opts.max_requests_per_connection;
      const bool keep = rq.keep_alive && !stop_flag.load(std::memory_order_acquire) &&
                        (max == 0 || handled < max);
      respond(s, rq, keep);  // HD3
      if (!keep) {
        detail::linger_close(s);  // pipelined requests may follow: no reset over the answer
        break;
      }
    }
  } catch (const std::exception&) {
    // A write past its deadline (HD3), a reset, or shutdown() closing the stream: it ends
    // (keeps HS3).
  }
  {
    std::lock_guard g(mu);
    conns.remove(c);
  }
  s.close();
  active.done();  // HS1; last: shutdown() may return and the state go from here on
}

server::server(handler h, server_options opts) : s_(std::make_shared<state>()) {
  check_options(opts);
  s_->h = std::move(h);
  s_->opts = std::move(opts);
  s_->log = s_->opts.error_log ? s_->opts.error_log : detail::default_error_log();
}

server::~server() = default;

void server::serve(net::listener& ln) {
  {
    std::lock_guard g(s_->mu);
    if (s_->stopping) return;
    s_->ln = &ln;
  }
  for (;;) {
    net::stream accepted;
    try {
      accepted = ln.accept();
    } catch (const std::system_error&) {
      std::lock_guard g(s_->mu);
      if (s_->stopping) break;  // shutdown() closed the listener
      throw;
    }
    auto c = std::make_shared<state::conn>();
    c->s = std::make_shared<net::stream>(std::move(accepted));
    std::lock_guard g(s_->mu);
    if (s_->stopping) break;  // HS1: too late; the stream closes with c
    s_->active.add(1);
    s_->conns.push_back(c);
    goro::go({.name = "http conn"}, [st = s_, c] { st->run(c); });
  }
  std::lock_guard g(s_->mu);
  s_->ln = nullptr;
}

void server::shutdown() {
  {
    std::lock_guard g(s_->mu);  // HS1
    s_->stopping = true;
    s_->stop_flag.store(true, std::memory_order_release);
    if (s_->ln) s_->ln->close();
    for (auto& c : s_->conns)
      if (c->idle.load(std::memory_order_acquire)) c->s->close();  // busy ones finish first
  }
  s_->active.wait();
}

std::uint64_t server::requests() const noexcept {
  return s_->served.load(std::memory_order_relaxed);
}

std::size_t server::peak_buffered_bytes() const noexcept {
  return s_->peak_buffered.load(std::memory_order_relaxed);
}

}  // namespace goro::http
