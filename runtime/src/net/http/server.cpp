// goro::http::server: one fiber per connection.
// H2: the server registers a connection (and counts it in `active`) under `mu` only while
//     not stopping; shutdown() sets stopping under `mu`, then closes the listener and the
//     idle connections, then waits for `active`: no connection starts after it looked.
#include <goro/net/http/server.hpp>

#include <algorithm>
#include <atomic>
#include <list>
#include <mutex>

#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>

#include <goro/mutex.hpp>
#include <goro/spawn.hpp>
#include <goro/wait_group.hpp>

#include "framing.hpp"
#include "reader.hpp"
#include "wire.hpp"

namespace goro::http {

namespace bhttp = boost::beast::http;
using detail::deadline_after;
using detail::serialize;

namespace {

template <class Fields>
std::vector<header> headers_of(const Fields& f) {
  std::vector<header> out;
  for (auto& field : f) {
    auto n = field.name_string();
    auto v = field.value();
    out.push_back({std::string(n.data(), n.size()), std::string(v.data(), v.size())});
  }
  return out;
}

// What read_request() found: the end of the stream between requests, a status to answer
// before closing (F1-F5 of framing.hpp, 400/413/431 from the parser), or a request.
struct incoming {
  bool closed = false;
  int status = 0;
  std::string why;  // the body of that answer
  request rq;
};

// Reads one request: its head, the checks of framing.hpp on it, `100 Continue` if it asks
// and its body is to come, then its body. Nothing past a rejected head is parsed (the
// caller closes). `peak`: server::peak_buffered_bytes().
incoming read_request(net::stream& s, std::string& buf, const server_options& o,
                      std::atomic<std::size_t>& peak) {
  bhttp::request_parser<bhttp::string_body> p;
  p.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
  p.body_limit(o.max_body_bytes);
  detail::request_reader rd(s, buf, p, o.max_header_bytes, peak);
  auto rejected = [](const boost::beast::error_code& ec) {
    incoming in;
    in.status = ec == bhttp::error::header_limit ? 431 : ec == bhttp::error::body_limit ? 413 : 400;
    in.why = fmt::format("{}\n", ec.message());
    return in;
  };
  boost::beast::error_code ec;
  if (!rd.read_head(ec)) return {.closed = true};
  if (ec) return rejected(ec);
  const auto cl = p.content_length();
  const auto v = detail::check_request_head(p.get(), p.chunked(),
                                            cl ? std::optional<std::uint64_t>(*cl) : std::nullopt);
  if (v.status != 0) return {.status = v.status, .why = std::string(v.why)};
  if (v.expect_continue) s.write_all("HTTP/1.1 100 Continue\r\n\r\n");  // F5
  rd.read_body(ec);
  if (ec) return rejected(ec);
  auto& m = p.get();
  incoming in;
  in.rq.method.assign(m.method_string().data(), m.method_string().size());
  in.rq.target.assign(m.target().data(), m.target().size());
  in.rq.headers = headers_of(m);
  in.rq.body = std::move(m.body());
  in.rq.keep_alive = m.keep_alive() && !v.close_after;  // F3
  return in;
}

}  // namespace

struct server::state {
  handler h;
  server_options opts;
  struct conn {
    std::shared_ptr<net::stream> s;
    std::atomic<bool> idle{true};
  };
  goro::mutex mu;                            // H2: guards the three below
  bool stopping = false;
  net::listener* ln = nullptr;
  std::list<std::shared_ptr<conn>> conns;
  std::atomic<bool> stop_flag{false};        // stopping, readable without mu
  goro::wait_group active;                   // H2: connection fibers
  std::atomic<std::uint64_t> served{0};
  std::atomic<std::size_t> peak_buffered{0};

  void run(std::shared_ptr<conn> c);
};

void server::state::run(std::shared_ptr<conn> c) {
  net::stream& s = *c->s;
  std::string buf;  // H1
  try {
    while (!stop_flag.load(std::memory_order_acquire)) {
      s.set_read_deadline(deadline_after(opts.read_timeout));
      c->idle.store(true, std::memory_order_release);
      incoming in = read_request(s, buf, opts, peak_buffered);
      c->idle.store(false, std::memory_order_release);
      if (in.closed) break;  // the client closed between requests
      if (in.status != 0) {
        response bad;
        bad.status = in.status;
        bad.body = std::move(in.why);
        s.write_all(serialize(bad, false));
        break;
      }
      const request& rq = in.rq;
      response rs;
      try {
        h(rq, rs);
      } catch (const std::exception& e) {
        rs = response{};
        rs.status = 500;
        rs.body = fmt::format("internal server error: {}\n", e.what());
      }
      const bool keep = rq.keep_alive && !stop_flag.load(std::memory_order_acquire);
      served.fetch_add(1, std::memory_order_relaxed);  // before the client can see the answer
      s.write_all(serialize(rs, keep));
      if (!keep) break;
    }
  } catch (const std::exception&) {
    // A timeout, a reset, or shutdown() closing an idle connection: the connection ends.
  }
  {
    std::lock_guard g(mu);
    conns.remove(c);
  }
  s.close();
  active.done();  // H2; last: shutdown() may return and the state go from here on
}

server::server(handler h, server_options opts) : s_(std::make_shared<state>()) {
  s_->h = std::move(h);
  s_->opts = std::move(opts);
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
    if (s_->stopping) break;  // H2: too late; the stream closes with c
    s_->active.add(1);
    s_->conns.push_back(c);
    goro::go({.name = "http conn"}, [st = s_, c] { st->run(c); });
  }
  std::lock_guard g(s_->mu);
  s_->ln = nullptr;
}

void server::shutdown() {
  {
    std::lock_guard g(s_->mu);  // H2
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
