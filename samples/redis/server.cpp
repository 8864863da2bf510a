// samples/redis/server.cpp: accepting, serving connections, delivering messages, sweeping.
// RS1: a connection's replies and its pushed messages are written under its write_mu only, so
//      a batch of replies is never interleaved with a message; and a (P)SUBSCRIBE's
//      confirmation, written in the batch that registered it, precedes every message of it.
// RS2: the delivery fiber ends before its connection does: the connection closes the
//      subscriber's queue (after leaving the registry, PS1), closes the stream (ending a
//      blocked write), then joins it.
#include "server.hpp"

#include <chrono>
#include <mutex>
#include <system_error>
#include <vector>

#include <goro/chan.hpp>
#include <goro/mutex.hpp>
#include <goro/select.hpp>
#include <goro/spawn.hpp>
#include <goro/time.hpp>

namespace redis {

using namespace std::chrono_literals;

namespace {
constexpr auto write_timeout = 30s;  // a client that reads nothing for this long is dropped
}

struct server::connection {
  explicit connection(goro::net::stream st) : s(std::move(st)) {}
  goro::net::stream s;
  goro::mutex write_mu;  // keeps RS1
  session sess;
  goro::join_handle<void> delivery;
};

server::server(const server_options& o) : opts_(o), db_(o.shards) {
  db_.subscriber_queue = o.subscriber_queue;
}

int server::listen(std::string_view host_port) {
  ln_ = goro::net::listen(host_port);
  db_.port = ln_.local_address().port();
  return db_.port;
}

void server::shutdown() noexcept { stop_.request_stop(); }

void server::serve() {
  goro::chan<int> done(0);  // closed when serving ends: the sweepers stop
  std::vector<goro::join_handle<void>> sweepers;
  for (int i = 0; i < db_.keys.shards(); ++i) {
    sweepers.push_back(goro::spawn([this, i, done] {
      goro::ticker tick(100ms);  // Redis' hz 10
      for (bool stop = false; !stop;) {
        goro::select(goro::recv(tick.c(),
                                [&](auto&&) {
                                  // As activeExpireCycle: again while over 25% expired.
                                  for (int round = 0; round < 16; ++round)
                                    if (db_.keys.sweep(i, 20) <= 5) break;
                                }),
                     goro::recv(done, [&](auto&&) { stop = true; }));
      }
    }));
  }
  const auto token = stop_.get_token();
  while (!token.stop_requested()) {
    goro::net::stream s;
    try {
      s = ln_.accept(token);
    } catch (const goro::net::canceled_error&) {
      break;
    } catch (const std::system_error&) {
      continue;  // e.g. a connection reset before it was accepted
    }
    auto c = std::make_shared<connection>(std::move(s));
    connections_.add(1);
    goro::go([this, c] {
      serve_connection(c);
      connections_.done();
    });
  }
  ln_.close();
  connections_.wait();
  done.close();
  for (auto& s : sweepers) s.join();
}

void server::serve_connection(const std::shared_ptr<connection>& c) {
  db_.clients.fetch_add(1, std::memory_order_relaxed);
  db_.connections.fetch_add(1, std::memory_order_relaxed);
  auto& sess = c->sess;
  connection* raw = c.get();  // the delivery fiber ends before c does (RS2)
  sess.on_subscribe = [raw] {
    raw->delivery = goro::spawn([raw] {
      auto& q = raw->sess.sub->queue;
      std::string batch;
      bool broken = false;
      while (auto m = q.recv()) {
        batch = **m;
        for (int i = 0; i < 64; ++i) {  // whatever else is queued goes in the same write
          auto more = q.try_recv();
          if (!more) break;
          batch += **more;
        }
        if (broken) continue;  // drain until the queue is closed
        try {
          std::lock_guard g(raw->write_mu);
          raw->s.set_write_deadline(std::chrono::steady_clock::now() + write_timeout);
          raw->s.write_all(batch);
        } catch (const std::system_error&) {
          broken = true;
          raw->s.close();  // the reading fiber sees it and ends the connection
        }
      }
    });
  };

  request_parser parser(opts_.proto);
  std::vector<char> in(16 * 1024);
  std::vector<std::string> argv;
  std::string out;
  const auto token = stop_.get_token();
  try {
    for (bool closing = false; !closing;) {
      c->s.set_read_deadline(opts_.timeout_s > 0 && !sess.subscribed()
                                 ? std::chrono::steady_clock::now() +
                                       std::chrono::seconds(opts_.timeout_s)
                                 : goro::net::no_deadline);
      const auto n = c->s.read(in.data(), in.size(), token);  // canceled by shutdown()
      if (n == 0) break;
      parser.feed({in.data(), n});
      std::lock_guard g(c->write_mu);  // keeps RS1
      for (;;) {
        const auto st = parser.next(argv);
        if (st == parse_status::need_more) break;
        if (st == parse_status::error) {
          write_error(out, "ERR " + parser.error());
          closing = true;
          break;
        }
        execute(db_, sess, argv, out);
        if (sess.quit) {
          closing = true;
          break;
        }
      }
      if (!out.empty()) {
        // Without the stop token: replies to commands already run are written even while
        // shutting down.
        c->s.set_write_deadline(std::chrono::steady_clock::now() + write_timeout);
        c->s.write_all(out);
        out.clear();
      }
    }
  } catch (const std::system_error&) {
    // The peer went away, the idle timeout passed, or shutdown() cancelled the read.
  }
  unsubscribe_all(db_, sess);  // keeps PS1
  if (sess.sub) sess.sub->queue.close();
  c->s.close();
  if (c->delivery.joinable()) c->delivery.join();  // keeps RS2
  db_.clients.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace redis
