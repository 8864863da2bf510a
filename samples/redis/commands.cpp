// samples/redis/commands.cpp: the command table and each command. Checks run in Redis'
// order (processCommand): unknown command, then arity, then the subscribe context, then
// the command's own arguments.
#include "commands.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include <goro/runtime.hpp>
#include <goro/stats.hpp>

#include "resp.hpp"

namespace redis {

namespace {

using args = std::vector<std::string>;
using handler = void (*)(database&, session&, args&, std::string&);

struct command {
  int arity;  // Redis' convention: n exactly, -n at least n (the name counts)
  handler run;
  bool in_subscribe_context = false;  // allowed while subscribed
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
bool is(std::string_view a, std::string_view lowercase) { return lower(a) == lowercase; }

// Redis formats these with %s: a NUL ends the text; CR and LF become spaces.
std::string c_text(std::string_view s, std::size_t max) {
  s = s.substr(0, s.find('\0'));
  return std::string(s.substr(0, max));
}
void error_line(std::string& out, std::string text) {
  std::replace(text.begin(), text.end(), '\r', ' ');
  std::replace(text.begin(), text.end(), '\n', ' ');
  write_error(out, text);
}

constexpr std::string_view not_integer = "ERR value is not an integer or out of range";
constexpr std::string_view syntax_error = "ERR syntax error";

void ping(database&, session& s, args& a, std::string& out) {
  if (a.size() > 2) return error_line(out, "ERR wrong number of arguments for 'ping' command");
  if (s.subscribed()) {  // RESP2 in the subscribe context: ["pong", arg or ""]
    write_array(out, 2);
    write_bulk(out, "pong");
    write_bulk(out, a.size() == 2 ? a[1] : "");
  } else if (a.size() == 2) {
    write_bulk(out, a[1]);
  } else {
    write_simple(out, "PONG");
  }
}

void echo(database&, session&, args& a, std::string& out) { write_bulk(out, a[1]); }

void get(database& db, session&, args& a, std::string& out) {
  auto v = db.keys.get(a[1]);
  v ? write_bulk(out, *v) : write_null(out);
}

// The milliseconds of EX/PX/EXPIRE as an absolute time on now_ms(), or empty with the reply
// written (Redis' getExpireMillisecondsOrReply).
std::optional<std::int64_t> expire_time(std::string_view text, std::int64_t unit_ms, bool positive,
                                        std::string_view command, std::string& out) {
  auto n = parse_int(text);
  if (!n) {
    write_error(out, not_integer);
    return std::nullopt;
  }
  const std::int64_t now = now_ms();
  std::int64_t v = *n;
  const bool bad = (positive && v <= 0) || v > INT64_MAX / unit_ms || v < INT64_MIN / unit_ms ||
                   v * unit_ms > INT64_MAX - now;
  if (bad) {
    write_error(out, fmt::format("ERR invalid expire time in '{}' command", command));
    return std::nullopt;
  }
  return v * unit_ms + now;
}

void set(database& db, session&, args& a, std::string& out) {
  set_options o;
  bool get_old = false;
  std::string_view expire;
  std::int64_t unit = 0;  // 1000 for EX, 1 for PX
  for (std::size_t j = 3; j < a.size(); ++j) {
    const auto opt = lower(a[j]);
    const bool has_next = j + 1 < a.size();
    if (opt == "nx" && !o.xx) {
      o.nx = true;
    } else if (opt == "xx" && !o.nx) {
      o.xx = true;
    } else if (opt == "get") {
      get_old = true;
    } else if (opt == "keepttl" && unit == 0) {
      o.keep_ttl = true;
    } else if (opt == "ex" && !o.keep_ttl && unit != 1 && has_next) {
      unit = 1000;
      expire = a[++j];
    } else if (opt == "px" && !o.keep_ttl && unit != 1000 && has_next) {
      unit = 1;
      expire = a[++j];
    } else {
      return write_error(out, syntax_error);
    }
  }
  if (unit != 0) {
    auto at = expire_time(expire, unit, true, "set", out);
    if (!at) return;
    o.expire_at = *at;
  }
  std::optional<std::string> old;
  if (get_old) old = db.keys.get(a[1]);  // SET ... GET: the value before
  const bool done = db.keys.set(a[1], a[2], o);
  if (get_old) return old ? write_bulk(out, *old) : write_null(out);
  done ? write_simple(out, "OK") : write_null(out);
}

void incr_by(database& db, std::string_view key, std::int64_t delta, std::string& out) {
  const char* error = nullptr;
  auto v = db.keys.incr_by(key, delta, &error);
  v ? write_integer(out, *v) : write_error(out, error);
}
void incr(database& db, session&, args& a, std::string& out) { incr_by(db, a[1], 1, out); }
void decr(database& db, session&, args& a, std::string& out) { incr_by(db, a[1], -1, out); }
void incrby(database& db, session&, args& a, std::string& out) {
  auto n = parse_int(a[2]);
  if (!n) return write_error(out, not_integer);
  incr_by(db, a[1], *n, out);
}
void decrby(database& db, session&, args& a, std::string& out) {
  auto n = parse_int(a[2]);
  if (!n || *n == INT64_MIN) return write_error(out, not_integer);  // as Redis: -n overflows
  incr_by(db, a[1], -*n, out);
}

void del(database& db, session&, args& a, std::string& out) {
  write_integer(out, db.keys.del(a, 1));
}
void exists(database& db, session&, args& a, std::string& out) {
  write_integer(out, db.keys.exists(a, 1));
}
void mget(database& db, session&, args& a, std::string& out) {
  auto vs = db.keys.mget(a, 1);
  write_array(out, static_cast<std::int64_t>(vs.size()));
  for (auto& v : vs) v ? write_bulk(out, *v) : write_null(out);
}
void mset(database& db, session&, args& a, std::string& out) {
  if (a.size() % 2 == 0)
    return write_error(out, "ERR wrong number of arguments for 'mset' command");
  db.keys.mset(a, 1);
  write_simple(out, "OK");
}

void expire_generic(database& db, args& a, std::int64_t unit, std::string_view name,
                    std::string& out) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (std::size_t j = 3; j < a.size(); ++j) {
    const auto opt = lower(a[j]);
    if (opt == "nx")
      nx = true;
    else if (opt == "xx")
      xx = true;
    else if (opt == "gt")
      gt = true;
    else if (opt == "lt")
      lt = true;
    else
      return error_line(out, fmt::format("ERR Unsupported option {}", c_text(a[j], 128)));
  }
  if (nx && (xx || gt || lt))
    return write_error(out, "ERR NX and XX, GT or LT options at the same time are not compatible");
  if (gt && lt)
    return write_error(out, "ERR GT and LT options at the same time are not compatible");
  auto at = expire_time(a[2], unit, false, name, out);
  if (!at) return;
  const auto cond = nx   ? expire_condition::nx
                    : xx ? (gt   ? expire_condition::gt
                            : lt ? expire_condition::lt
                                 : expire_condition::xx)
                    : gt ? expire_condition::gt
                    : lt ? expire_condition::lt
                         : expire_condition::always;
  write_integer(out, db.keys.expire_at(a[1], *at, cond) ? 1 : 0);
}
void expire(database& db, session&, args& a, std::string& out) {
  expire_generic(db, a, 1000, "expire", out);
}
void pexpire(database& db, session&, args& a, std::string& out) {
  expire_generic(db, a, 1, "pexpire", out);
}
void ttl(database& db, session&, args& a, std::string& out) {
  auto ms = db.keys.ttl_ms(a[1]);
  write_integer(out, ms < 0 ? ms : (ms + 500) / 1000);
}
void pttl(database& db, session&, args& a, std::string& out) {
  write_integer(out, db.keys.ttl_ms(a[1]));
}

void keys(database& db, session&, args& a, std::string& out) {
  auto ks = db.keys.keys(a[1]);
  write_array(out, static_cast<std::int64_t>(ks.size()));
  for (auto& k : ks) write_bulk(out, k);
}
void dbsize(database& db, session&, args&, std::string& out) { write_integer(out, db.keys.size()); }
void flushall(database& db, session&, args& a, std::string& out) {
  if (a.size() > 2 || (a.size() == 2 && !is(a[1], "sync") && !is(a[1], "async")))
    return write_error(out, syntax_error);
  db.keys.flush();
  write_simple(out, "OK");
}

void info(database& db, session&, args&, std::string& out) {
  const auto st = goro::stats();
  std::uint64_t runs = 0, steals = 0, parks = 0;
  for (auto& p : st.processors) runs += p.runs, steals += p.steals, parks += p.parks;
  std::string text;
  auto line = [&](std::string_view name, auto v) {
    fmt::format_to(std::back_inserter(text), "{}:{}\r\n", name, v);
  };
  text += "# Server\r\n";
  line("redis_version", "7.0.0");
  line("server", "goro");
  line("tcp_port", db.port);
  line("uptime_in_seconds", (now_ms() - db.started_ms) / 1000);
  text += "\r\n# Clients\r\n";
  line("connected_clients", db.clients.load(std::memory_order_relaxed));
  text += "\r\n# Stats\r\n";
  line("total_connections_received", db.connections.load(std::memory_order_relaxed));
  line("total_commands_processed", db.commands.load(std::memory_order_relaxed));
  line("expired_keys", db.keys.expired_keys());
  line("pubsub_channels", db.channels.channels());
  line("pubsub_patterns", db.channels.patterns());
  line("pubsub_dropped_messages", db.channels.dropped());
  text += "\r\n# Goro\r\n";
  line("goro_procs", st.processors.size());
  line("goro_machines", st.machines);
  line("goro_live_fibers", st.live_fibers);
  line("goro_fiber_runs", runs);
  line("goro_fiber_parks", parks);
  line("goro_steals", steals);
  line("goro_netpoll_ready", st.netpoll_ready);
  line("shards", db.keys.shards());
  text += "\r\n# Keyspace\r\n";
  if (auto n = db.keys.size(); n > 0)
    fmt::format_to(std::back_inserter(text), "db0:keys={},expires={},avg_ttl=0\r\n", n,
                   db.keys.volatile_size());
  write_bulk(out, text);
}

void client(database&, session& s, args& a, std::string& out) {
  const auto sub = lower(a[1]);
  auto arity_error = [&] {
    write_error(out, fmt::format("ERR wrong number of arguments for 'client|{}' command", sub));
  };
  if (sub == "setname") {
    if (a.size() != 3) return arity_error();
    for (char c : a[2])
      if (c < '!' || c > '~')
        return write_error(
            out, "ERR Client names cannot contain spaces, newlines or special characters.");
    s.name = a[2];
    return write_simple(out, "OK");
  }
  if (sub == "getname") {
    if (a.size() != 2) return arity_error();
    return s.name.empty() ? write_null(out) : write_bulk(out, s.name);
  }
  error_line(out, fmt::format("ERR unknown subcommand '{}'. Try CLIENT HELP.", c_text(a[1], 128)));
}

// Only what redis-benchmark asks on connecting (CONFIG GET save, appendonly).
void config(database&, session&, args& a, std::string& out) {
  if (!is(a[1], "get"))
    return error_line(
        out, fmt::format("ERR unknown subcommand '{}'. Try CONFIG HELP.", c_text(a[1], 128)));
  if (a.size() < 3)
    return write_error(out, "ERR wrong number of arguments for 'config|get' command");
  std::vector<std::pair<std::string_view, std::string_view>> found;
  for (std::size_t i = 2; i < a.size(); ++i) {
    if (is(a[i], "save")) found.emplace_back("save", "");
    if (is(a[i], "appendonly")) found.emplace_back("appendonly", "no");
  }
  write_array(out, static_cast<std::int64_t>(found.size() * 2));
  for (auto [k, v] : found) write_bulk(out, k), write_bulk(out, v);
}

void command_docs(database&, session&, args&, std::string& out) { write_array(out, 0); }

void quit(database&, session& s, args&, std::string& out) {
  s.quit = true;
  write_simple(out, "OK");
}

void publish(database& db, session&, args& a, std::string& out) {
  write_integer(out, db.channels.publish(a[1], a[2]));
}

void ensure_subscriber(database& db, session& s) {
  if (s.sub) return;
  s.sub = std::make_unique<subscriber>(db.subscriber_queue);
  if (s.on_subscribe) s.on_subscribe();
}
std::int64_t count(const session& s) {
  return static_cast<std::int64_t>(s.channels.size() + s.patterns.size());
}
void confirm(std::string& out, std::string_view kind, const std::string* name, std::int64_t n) {
  write_array(out, 3);
  write_bulk(out, kind);
  name ? write_bulk(out, *name) : write_null(out);
  write_integer(out, n);
}

void subscribe(database& db, session& s, args& a, std::string& out) {
  ensure_subscriber(db, s);
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (s.channels.insert(a[i]).second) db.channels.subscribe(s.sub.get(), a[i]);
    confirm(out, "subscribe", &a[i], count(s));
  }
}
void psubscribe(database& db, session& s, args& a, std::string& out) {
  ensure_subscriber(db, s);
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (s.patterns.insert(a[i]).second) db.channels.psubscribe(s.sub.get(), a[i]);
    confirm(out, "psubscribe", &a[i], count(s));
  }
}
void unsubscribe(database& db, session& s, args& a, std::string& out) {
  std::vector<std::string> names(a.begin() + 1, a.end());
  if (names.empty()) {
    names.assign(s.channels.begin(), s.channels.end());
    if (names.empty()) return confirm(out, "unsubscribe", nullptr, count(s));
  }
  for (auto& n : names) {
    if (s.channels.erase(n) && s.sub) db.channels.unsubscribe(s.sub.get(), n);
    confirm(out, "unsubscribe", &n, count(s));
  }
}
void punsubscribe(database& db, session& s, args& a, std::string& out) {
  std::vector<std::string> names(a.begin() + 1, a.end());
  if (names.empty()) {
    names.assign(s.patterns.begin(), s.patterns.end());
    if (names.empty()) return confirm(out, "punsubscribe", nullptr, count(s));
  }
  for (auto& n : names) {
    if (s.patterns.erase(n) && s.sub) db.channels.punsubscribe(s.sub.get(), n);
    confirm(out, "punsubscribe", &n, count(s));
  }
}

const std::unordered_map<std::string, command>& table() {
  static const std::unordered_map<std::string, command> t = {
      {"ping", {-1, ping, true}},
      {"echo", {2, echo}},
      {"get", {2, get}},
      {"set", {-3, set}},
      {"incr", {2, incr}},
      {"decr", {2, decr}},
      {"incrby", {3, incrby}},
      {"decrby", {3, decrby}},
      {"del", {-2, del}},
      {"exists", {-2, exists}},
      {"mget", {-2, mget}},
      {"mset", {-3, mset}},
      {"expire", {-3, expire}},
      {"pexpire", {-3, pexpire}},
      {"ttl", {2, ttl}},
      {"pttl", {2, pttl}},
      {"keys", {2, keys}},
      {"dbsize", {1, dbsize}},
      {"flushall", {-1, flushall}},
      {"info", {-1, info}},
      {"client", {-2, client}},
      {"config", {-2, config}},
      {"command", {-1, command_docs}},
      {"quit", {-1, quit, true}},
      {"publish", {3, publish}},
      {"subscribe", {-2, subscribe, true}},
      {"psubscribe", {-2, psubscribe, true}},
      {"unsubscribe", {-1, unsubscribe, true}},
      {"punsubscribe", {-1, punsubscribe, true}},
  };
  return t;
}

}  // namespace

void execute(database& db, session& s, std::vector<std::string>& argv, std::string& out) {
  db.commands.fetch_add(1, std::memory_order_relaxed);
  const auto name = lower(argv[0]);
  auto it = table().find(name);
  if (it == table().end()) {
    std::string rest;
    for (std::size_t i = 1; i < argv.size() && rest.size() < 128; ++i)
      rest += fmt::format("'{}' ", c_text(argv[i], 128 - rest.size()));
    return error_line(out, fmt::format("ERR unknown command '{}', with args beginning with: {}",
                                       c_text(argv[0], 128), rest));
  }
  const auto& cmd = it->second;
  const auto argc = static_cast<int>(argv.size());
  if ((cmd.arity > 0 && argc != cmd.arity) || argc < -cmd.arity)
    return write_error(out, fmt::format("ERR wrong number of arguments for '{}' command", name));
  if (s.subscribed() && !cmd.in_subscribe_context)
    return write_error(out, fmt::format("ERR Can't execute '{}': only (P|S)SUBSCRIBE / "
                                        "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
                                        "this context",
                                        name));
  cmd.run(db, s, argv, out);
}

void unsubscribe_all(database& db, session& s) {
  if (!s.sub) return;
  for (auto& c : s.channels) db.channels.unsubscribe(s.sub.get(), c);
  for (auto& p : s.patterns) db.channels.punsubscribe(s.sub.get(), p);
  s.channels.clear();
  s.patterns.clear();
}

}  // namespace redis
