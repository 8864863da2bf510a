// goro::http: HTTP/1.1 over fiber streams. Parsing is Boost.Beast's (request_parser /
// response_parser fed with the bytes a fiber reads); goro only moves bytes and writes the
// status line and headers of what it sends.
// H1: a connection's bytes read past one message stay in its buffer for the next one
//     (pipelined requests, a response's successor on a kept-alive client connection).
// H2: the server registers a connection (and counts it in `active`) under `mu` only while
//     not stopping; shutdown() sets stopping under `mu`, then closes the listener and the
//     idle connections, then waits for `active`: no connection starts after it looked.
#include <goro/net/http.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <list>
#include <mutex>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>

#include <goro/mutex.hpp>
#include <goro/spawn.hpp>
#include <goro/wait_group.hpp>

namespace goro::http {

namespace bhttp = boost::beast::http;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view find_header(const std::vector<header>& hs, std::string_view name) {
  for (auto& h : hs)
    if (iequals(h.name, name)) return h.value;
  return {};
}

// Feeds `p` from `buf` and then from `s` until it holds a whole message (H1). Returns
// false if the stream ended before the first byte of a message; parse errors are in `ec`.
template <class Parser>
bool read_message(net::stream& s, std::string& buf, Parser& p, boost::beast::error_code& ec) {
  bool any = !buf.empty();
  for (;;) {
    if (!buf.empty()) {
      ec = {};
      std::size_t used = p.put(boost::asio::buffer(buf.data(), buf.size()), ec);
      buf.erase(0, used);
      if (ec && ec != bhttp::error::need_more) return true;
      ec = {};
      if (p.is_done()) return true;
      if (used > 0 && !buf.empty()) continue;
    }
    char tmp[16 * 1024];
    std::size_t n = s.read(tmp, sizeof tmp);
    if (n == 0) {
      if (!any) return false;
      p.put_eof(ec);  // a body delimited by the end of the stream, or a truncated message
      if (!ec && !p.is_done()) ec = bhttp::error::partial_message;
      return true;
    }
    any = true;
    buf.append(tmp, n);
  }
}

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

std::string serialize(const response& rs, bool keep_alive) {
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(rs.status));
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", rs.status,
                                std::string_view(reason.data(), reason.size()));
  for (auto& h : rs.headers) {
    if (iequals(h.name, "content-length") || iequals(h.name, "connection")) continue;
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  out.append(fmt::format("Content-Length: {}\r\n", rs.body.size()));
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n").append(rs.body);
  return out;
}

std::string serialize(const request& rq, std::string_view host) {
  std::string out = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", rq.method, rq.target, host);
  for (auto& h : rq.headers) {
    if (iequals(h.name, "content-length") || iequals(h.name, "host") ||
        iequals(h.name, "connection"))
      continue;
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (!rq.body.empty() || rq.method == "POST" || rq.method == "PUT")
    out.append(fmt::format("Content-Length: {}\r\n", rq.body.size()));
  if (!rq.keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n").append(rq.body);
  return out;
}

net::time_point after(std::chrono::nanoseconds d) {
  if (d == std::chrono::nanoseconds::max()) return net::no_deadline;
  return std::chrono::steady_clock::now() + std::chrono::ceil<std::chrono::steady_clock::duration>(d);
}

}  // namespace

std::string_view request::header_value(std::string_view name) const noexcept {
  return find_header(headers, name);
}
std::string_view response::header_value(std::string_view name) const noexcept {
  return find_header(headers, name);
}
void response::set_header(std::string name, std::string value) {
  for (auto& h : headers)
    if (iequals(h.name, name)) {
      h.value = std::move(value);
      return;
    }
  headers.push_back({std::move(name), std::move(value)});
}

// --- server ---

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
      s.set_read_deadline(after(opts.read_timeout));
      c->idle.store(true, std::memory_order_release);
      boost::beast::error_code ec;
      bool got = read_message(s, buf, p, ec);
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
  s_->opts = opts;
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

// --- client ---

client::client(std::string host_port, std::chrono::nanoseconds timeout)
    : host_port_(std::move(host_port)), timeout_(timeout) {}

response client::send(const request& rq) {
  const std::string wire = serialize(rq, host_port_);
  for (int attempt = 0;; ++attempt) {
    const bool fresh = !conn_;
    if (fresh) {
      conn_ = net::dial(host_port_, timeout_);
      buffered_.clear();
    }
    conn_.set_deadline(after(timeout_));
    bhttp::response_parser<bhttp::string_body> p;
    p.body_limit(boost::none);
    p.eager(true);
    boost::beast::error_code ec;
    bool got = false;
    try {
      conn_.write_all(wire);
      got = read_message(conn_, buffered_, p, ec);
    } catch (const std::system_error&) {
      if (fresh || attempt > 0) throw;
    }
    if (!got) {  // a kept-alive connection the server had closed: once more, afresh
      conn_ = net::stream();
      if (fresh || attempt > 0)
        throw std::system_error(std::make_error_code(std::errc::connection_reset),
                                "goro::http: " + host_port_ + ": connection closed before a response");
      continue;
    }
    if (ec) {
      conn_ = net::stream();
      throw std::system_error(std::make_error_code(std::errc::protocol_error),
                              "goro::http: " + host_port_ + ": bad response: " + ec.message());
    }
    auto& m = p.get();
    response rs;
    rs.status = static_cast<int>(m.result_int());
    rs.headers = headers_of(m);
    rs.body = std::move(m.body());
    if (!m.keep_alive() || !rq.keep_alive) conn_ = net::stream();
    return rs;
  }
}

response get(std::string_view url, std::chrono::nanoseconds timeout) {
  std::string_view rest = url;
  if (rest.substr(0, 7) == "http://") rest.remove_prefix(7);
  auto slash = rest.find('/');
  std::string host_port(rest.substr(0, slash));
  std::string target = slash == rest.npos ? "/" : std::string(rest.substr(slash));
  if (host_port.find(':') == std::string::npos || host_port.back() == ']') host_port += ":80";
  request rq;
  rq.target = target;
  rq.keep_alive = false;
  client c(host_port, timeout);
  return c.send(rq);
}

}  // namespace goro::http
