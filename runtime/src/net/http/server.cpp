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
      bhttp::request_parser<bhttp::string_body> p;
      p.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(opts.max_header_bytes, UINT32_MAX)));
      p.body_limit(opts.max_body_bytes);
      p.eager(true);
      s.set_read_deadline(deadline_after(opts.read_timeout));
      c->idle.store(true, std::memory_order_release);
      boost::beast::error_code ec;
      bool got = detail::read_message(s, buf, p, ec);
      c->idle.store(false, std::memory_order_release);
      if (!got) break;  // the client closed between requests
      if (ec) {
        response bad;
        bad.status = ec == bhttp::error::header_limit ? 431
                     : ec == bhttp::error::body_limit ? 413
                                                       : 400;
        bad.body = fmt::format("{}\n", ec.message());
        s.write_all(serialize(bad, false));
        break;
      }
      auto& m = p.get();
      request rq;
      rq.method.assign(m.method_string().data(), m.method_string().size());
      rq.target.assign(m.target().data(), m.target().size());
      rq.headers = headers_of(m);
      rq.body = std::move(m.body());
      rq.keep_alive = m.keep_alive();
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
