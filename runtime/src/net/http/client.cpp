// goro::http::client and get().
#include <goro/net/http/client.hpp>

#include <boost/beast/http/string_body.hpp>

#include "reader.hpp"
#include "wire.hpp"

namespace goro::http {

namespace bhttp = boost::beast::http;
using detail::deadline_after;

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

client::client(std::string host_port, client_options opts)
    : host_port_(std::move(host_port)), opts_(opts) {}

response client::send(const request& rq) {
  const std::string wire = detail::serialize(rq, host_port_);
  for (int attempt = 0;; ++attempt) {
    const bool fresh = !conn_;
    if (fresh) {
      conn_ = net::dial(host_port_, opts_.timeout);
      buffered_.clear();
    }
    conn_.set_deadline(deadline_after(opts_.timeout));
    bhttp::response_parser<bhttp::string_body> p;
    p.body_limit(boost::none);
    p.eager(true);
    boost::beast::error_code ec;
    bool got = false;
    try {
      conn_.write_all(wire);
      got = detail::read_message(conn_, buffered_, p, ec);
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

response get(std::string_view url, client_options opts) {
  std::string_view rest = url;
  if (rest.substr(0, 7) == "http://") rest.remove_prefix(7);
  auto slash = rest.find('/');
  std::string host_port(rest.substr(0, slash));
  std::string target = slash == rest.npos ? "/" : std::string(rest.substr(slash));
  if (host_port.find(':') == std::string::npos || host_port.back() == ']') host_port += ":80";
  request rq;
  rq.target = target;
  rq.keep_alive = false;
  client c(host_port, opts);
  return c.send(rq);
}

}  // namespace goro::http
