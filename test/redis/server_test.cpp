// samples/redis end to end: the server binary on loopback, driven by the real redis-cli and
// redis-benchmark, and compared with the real redis-server. Each test starts its own
// servers on ports of their own (never 6379).
#include <algorithm>
#include <charconv>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "process.hpp"

namespace {

using redis_test::bound;
using redis_test::child;
using redis_test::raw_client;
using redis_test::run;

std::string server_path() { return GORO_REDIS_SERVER; }
std::string cli_path() { return redis_test::program(GORO_REDIS_CLI, "redis-cli"); }

// Our server, started with --port 0; the port read from its first line.
class server {
 public:
  explicit server(std::vector<std::string> flags = {}) {
    std::vector<std::string> argv{server_path(), "--port", "0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    proc_ = std::make_unique<child>(argv);
    auto first = proc_->line();
    constexpr std::string_view listening = "redis: listening on 127.0.0.1:";
    int port = 0;
    if (first && first->starts_with(listening)) {
      const char* p = first->data() + listening.size();
      auto [end, ec] = std::from_chars(p, first->data() + first->size(), port);
      if (ec != std::errc() || *end != ' ') port = 0;
    }
    if (port <= 0) {
      ADD_FAILURE() << "the server's first line does not name its port: '"
                    << first.value_or("(none)") << "', stderr: " << proc_->err();
      return;
    }
    port_ = port;
  }
  int port() const { return port_; }
  // SIGTERM; checks the exit status and the last line; returns what it printed after its
  // first line.
  std::string stop() {
    stopped_ = true;
    const int status = proc_->stop(SIGTERM);
    auto out = proc_->rest();
    EXPECT_EQ(status, 0) << "stdout: " << out << "stderr: " << proc_->err();
    EXPECT_NE(out.find("redis: SIGTERM: shut down after"), out.npos) << out;
    EXPECT_EQ(proc_->err(), "");
    return out;
  }
  ~server() {
    if (port_ > 0 && !stopped_) stop();
  }

 private:
  std::unique_ptr<child> proc_;
  int port_ = 0;
  bool stopped_ = false;
};

// redis-cli --no-raw (replies typed: (integer) 1, "text", (nil), (error) ...) against a port
// or, for the real redis-server, a unix socket. `raw`: --raw instead (INFO's lines).
std::string cli(const std::string& where, std::vector<std::string> args,
                std::string_view input = {}, bool raw = false) {
  std::vector<std::string> argv{cli_path(), raw ? "--raw" : "--no-raw"};
  if (where.starts_with("/")) {
    argv.insert(argv.end(), {"-s", where});
  } else {
    argv.insert(argv.end(), {"-p", where});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv, input);
  EXPECT_EQ(r.status, 0) << fmt::format("{}", fmt::join(argv, " ")) << ": " << r.err;
  return r.out;
}
std::string cli(int port, std::vector<std::string> args, std::string_view input = {},
                bool raw = false) {
  return cli(std::to_string(port), std::move(args), input, raw);
}

// An info field's value.
std::string info_field(int port, std::string_view field) {
  auto text = cli(port, {"info"}, {}, true);
  auto at = text.find(std::string(field) + ":");
  if (at == text.npos) return {};
  at += field.size() + 1;
  return text.substr(at, text.find_first_of("\r\n", at) - at);
}

TEST(RedisServerTest, CommandsAnswerWithRedisReplies) {
  if (cli_path().empty()) return;
  server s;
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"ping"}, "PONG\n"},
      {{"ping", "hello world"}, "\"hello world\"\n"},
      {{"echo", "a\tb"}, "\"a\\tb\"\n"},
      {{"set", "k", "v"}, "OK\n"},
      {{"get", "k"}, "\"v\"\n"},
      {{"get", "missing"}, "(nil)\n"},
      {{"set", "k", "w", "nx"}, "(nil)\n"},
      {{"set", "k2", "w", "xx"}, "(nil)\n"},
      {{"set", "k", "w", "xx"}, "OK\n"},
      {{"set", "k", "x", "get"}, "\"w\"\n"},
      {{"exists", "k", "k", "missing"}, "(integer) 2\n"},
      {{"incr", "n"}, "(integer) 1\n"},
      {{"incrby", "n", "41"}, "(integer) 42\n"},
      {{"decr", "n"}, "(integer) 41\n"},
      {{"decrby", "n", "50"}, "(integer) -9\n"},
      {{"mset", "a", "1", "b", "2"}, "OK\n"},
      {{"mget", "a", "missing", "b"}, "1) \"1\"\n2) (nil)\n3) \"2\"\n"},
      {{"ttl", "a"}, "(integer) -1\n"},
      {{"ttl", "missing"}, "(integer) -2\n"},
      {{"expire", "a", "100"}, "(integer) 1\n"},
      {{"ttl", "a"}, "(integer) 100\n"},
      {{"expire", "a", "50", "gt"}, "(integer) 0\n"},
      {{"expire", "missing", "100"}, "(integer) 0\n"},
      {{"set", "e", "v", "ex", "1000"}, "OK\n"},
      {{"ttl", "e"}, "(integer) 1000\n"},
      {{"set", "e", "v", "keepttl"}, "OK\n"},
      {{"ttl", "e"}, "(integer) 1000\n"},
      {{"set", "e", "v"}, "OK\n"},
      {{"ttl", "e"}, "(integer) -1\n"},
      {{"expire", "e", "0"}, "(integer) 1\n"},
      {{"exists", "e"}, "(integer) 0\n"},
      {{"keys", "[ab]"}, ""},  // checked below: order is free
      {{"del", "a", "b", "missing"}, "(integer) 2\n"},
      {{"dbsize"}, "(integer) 2\n"},
      {{"client", "setname", "worker-1"}, "OK\n"},
      {{"publish", "nobody", "x"}, "(integer) 0\n"},
      {{"flushall"}, "OK\n"},
      {{"dbsize"}, "(integer) 0\n"},
      {{"keys", "*"}, "(empty array)\n"},
      {{"quit"}, "OK\n"},
  };
  for (auto& [args, want] : cases) {
    auto got = cli(s.port(), args);
    if (args[0] == "keys" && args[1] == "[ab]") {
      EXPECT_TRUE(got == "1) \"a\"\n2) \"b\"\n" || got == "1) \"b\"\n2) \"a\"\n") << got;
      continue;
    }
    EXPECT_EQ(got, want) << fmt::format("{}", fmt::join(args, " "));
  }
}

// The replies of our server and of Redis itself to the same commands, byte for byte as
// redis-cli prints them: errors (arity, syntax, not an integer, overflow, unknown command
// and subcommand) included.
TEST(RedisServerTest, RepliesAndErrorsMatchRedisServer) {
  if (cli_path().empty()) return;
  const auto real = redis_test::program(GORO_REDIS_REAL_SERVER, "redis-server");
  if (real.empty()) return;
  redis_test::temp_file sock_dir;  // a unique name; the socket lives next to it
  const std::string sock = sock_dir.path() + ".sock";
  child theirs({real, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--loglevel", "warning"});
  // Ready when it answers on its socket.
  bool ready = false;
  const auto end = std::chrono::steady_clock::now() + bound;
  while (!ready && std::chrono::steady_clock::now() < end) {
    auto r = run({cli_path(), "-s", sock, "ping"});
    ready = r.out == "PONG\n";
  }
  ASSERT_TRUE(ready) << "redis-server did not answer on " << sock << ": " << theirs.err();
  server ours;
  const std::string script =
      "foo\nfoo a b\nFOO \"x y\" z\nget\nget a b\nset k v ex 0\nset k v ex -1\nset k v ex abc\n"
      "set k v nx xx\nset k v foo\nset k v ex 1 px 2\nset k v px 9223372036854775807\n"
      "set k v ex 9223372036854775807\nincr k\nset n 9223372036854775807\nincr n\n"
      "incrby n x\nincrby n 1.5\nset m -9223372036854775808\ndecr m\ndecrby m 1\n"
      "set z 007\nincr z\nset w \" 1\"\nincr w\n"
      "expire k abc\nexpire k 10 foo\nexpire k 10 nx xx\nexpire k 10 gt lt\nexpire n 10 nx\n"
      "expire n 9223372036854775807\nexpire n\nttl n\nmset a\nmset a 1 b\nmget\necho\n"
      "echo \"a\\x41\"\nping a b\nclient setname \"a b\"\nclient setname\nclient foo\nclient\n"
      "client getname\nkeys\ndbsize x\nexists\ndel\nflushall x\nflushall sync\nsubscribe\n"
      "publish a\npublish a b\nunsubscribe\npunsubscribe\nincr\nincrby a\nttl\n"
      "set n2 1\nincrby n2 9223372036854775807\nget n2\ndbsize\n";
  EXPECT_EQ(cli(std::to_string(ours.port()), {}, script), cli(sock, {}, script));
  // And raw requests: protocol errors (each closes the connection), inline commands.
  const std::string raws[] = {
      "*2\r\n$3\r\nGET\r\n$-5\r\n",
      "*a\r\n",
      "$3\r\nfoo\r\n",
      "*1\r\n+PING\r\n",
      "*1\r\n$4\r\nPINGx\r\n",
      "*1\r\n$600000000\r\n",
      "PING \"a\r\n",
      "*-1\r\n*0\r\nPING\r\n",
      "\r\n\r\nPING a  b\r\n",
      "SET k \"a\\x41b c\"\r\nGET k\r\n",
      "PING 'a b'\r\n",
      "*1\r\n$-1\r\n",
      "*1\r\n$0\r\n\r\n",
      "*1\r\n$4x\r\n",
      "*\r\n",
      "*1\r\n$\r\n",
      "*2147483648\r\n",
      "*1\r\n$536870913\r\n",
      "QUIT\r\nPING\r\n",
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\nGET k\r\nPING\n",
      "SUBSCRIBE a\r\nGET k\r\nPING\r\nPING x\r\nUNSUBSCRIBE\r\nPING\r\n",
      "PSUBSCRIBE a*\r\nPUNSUBSCRIBE\r\nUNSUBSCRIBE x\r\nPUNSUBSCRIBE\r\nQUIT\r\n",
      std::string(70 * 1024, 'x'),  // an inline request past 64 KB without a newline
  };
  for (auto& raw : raws) {
    // Each ends in a close: a protocol error, or the QUIT after it.
    const std::string req = raw.size() > 64 * 1024 ? raw : raw + "QUIT\r\n";
    raw_client a(ours.port()), b(sock);
    a.send(req);
    b.send(req);
    bool ca = false, cb = false;
    EXPECT_EQ(a.read_to_close(&ca), b.read_to_close(&cb)) << raw.substr(0, 80);
    EXPECT_TRUE(ca && cb) << raw.substr(0, 80);
  }
  theirs.stop();
}

TEST(RedisServerTest, ProtocolErrorIsAnsweredThenTheConnectionCloses) {
  server s;
  {
    raw_client c(s.port());
    c.send("PING\r\n*1\r\n$-3\r\nPING\r\n");  // a good command, a bad one, one never run
    bool closed = false;
    EXPECT_EQ(c.read_to_close(&closed), "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
    EXPECT_TRUE(closed);
  }
  {
    raw_client c(s.port());
    c.send("*1\r\n$536870913\r\n");  // past proto-max-bulk-len: refused before any byte of it
    bool closed = false;
    EXPECT_EQ(c.read_to_close(&closed), "-ERR Protocol error: invalid bulk length\r\n");
    EXPECT_TRUE(closed);
  }
  EXPECT_EQ(cli(s.port(), {"ping"}), "PONG\n");  // the server serves on
}

TEST(RedisServerTest, PipelinedAndInlineCommandsAreAnsweredInOrder) {
  server s;
  raw_client c(s.port());
  std::string req, want;
  for (int i = 1; i <= 1000; ++i) {
    req += i % 2 ? "INCR n\r\n" : "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n";
    want += fmt::format(":{}\r\n", i);
  }
  // Split at an awkward place: a command's bytes arrive in two reads.
  c.send(req.substr(0, 7));
  c.send(req.substr(7));
  EXPECT_EQ(c.read(want.size()), want);
}

TEST(RedisServerTest, PubSubBetweenTwoClients) {
  if (cli_path().empty()) return;
  server s;
  const auto port = std::to_string(s.port());
  child sub({cli_path(), "-p", port, "subscribe", "news"});
  child psub({cli_path(), "-p", port, "psubscribe", "n*"});
  for (auto want : {"subscribe", "news", "1"}) EXPECT_EQ(sub.line(), want);
  for (auto want : {"psubscribe", "n*", "1"}) EXPECT_EQ(psub.line(), want);
  // Both subscribed (their confirmations came after the registration): two receivers.
  EXPECT_EQ(cli(s.port(), {"publish", "news", "hello"}), "(integer) 2\n");
  EXPECT_EQ(cli(s.port(), {"publish", "other", "nobody"}), "(integer) 0\n");
  EXPECT_EQ(cli(s.port(), {"publish", "nets", "pattern only"}), "(integer) 1\n");
  for (auto want : {"message", "news", "hello"}) EXPECT_EQ(sub.line(), want);
  for (auto want : {"pmessage", "n*", "news", "hello", "pmessage", "n*", "nets", "pattern only"})
    EXPECT_EQ(psub.line(), want);
  EXPECT_EQ(info_field(s.port(), "pubsub_channels"), "1");
  EXPECT_EQ(info_field(s.port(), "pubsub_patterns"), "1");
  EXPECT_EQ(info_field(s.port(), "pubsub_dropped_messages"), "0");
  // Shutting down with subscribers connected: they see the end of the stream.
  s.stop();
  while (sub.line()) {
  }  // to the end of its output: redis-cli saw the connection close and exited
  while (psub.line()) {
  }
  sub.stop(SIGKILL);
  psub.stop(SIGKILL);
}

TEST(RedisServerTest, SlowSubscriberMissesMessagesAndNeverBlocksThePublisher) {
  if (cli_path().empty()) return;
  server s({"--queue", "8"});
  // A subscriber that never reads, with a small receive buffer.
  raw_client slow(s.port(), 4096);
  slow.send("SUBSCRIBE firehose\r\n");
  const std::string confirm = "*3\r\n$9\r\nsubscribe\r\n$8\r\nfirehose\r\n:1\r\n";
  EXPECT_EQ(slow.read(confirm.size()), confirm);
  // 20000 messages of 1 KB: far more than the socket buffers and the queue of 8 hold.
  const std::string payload(1024, 'm');
  std::string cmds;
  for (int i = 0; i < 20000; ++i) cmds += fmt::format("PUBLISH firehose {}\r\n", payload);
  auto r = run({cli_path(), "-p", std::to_string(s.port()), "--pipe"}, cmds);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("errors: 0, replies: 20000"), r.out.npos) << r.out;
  const auto dropped = std::stoll(info_field(s.port(), "pubsub_dropped_messages"));
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 20000);  // what fit in the queue and the socket was delivered
}

TEST(RedisServerTest, PipeOf100kCommands) {
  if (cli_path().empty()) return;
  server s;
  std::string cmds;
  for (int i = 0; i < 100000; ++i) cmds += fmt::format("SET key:{} {}\r\n", i, i * 7);
  auto r = run({cli_path(), "-p", std::to_string(s.port()), "--pipe"}, cmds);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("errors: 0, replies: 100000"), r.out.npos) << r.out;
  EXPECT_EQ(cli(s.port(), {"dbsize"}), "(integer) 100000\n");
  EXPECT_EQ(cli(s.port(), {"mget", "key:0", "key:99999", "key:100000"}),
            "1) \"0\"\n2) \"699993\"\n3) (nil)\n");
}

TEST(RedisServerTest, IncrFromFiftyConcurrentClientsAddsUpExactly) {
  if (cli_path().empty()) return;
  server s;
  constexpr int clients = 50, each = 200;
  std::vector<std::unique_ptr<child>> running;
  for (int i = 0; i < clients; ++i)
    running.push_back(std::make_unique<child>(
        std::vector<std::string>{cli_path(), "-p", std::to_string(s.port()), "-r",
                                 std::to_string(each), "incr", "counter"}));
  int lines = 0;
  for (auto& c : running) {
    while (auto l = c->line()) ++lines;  // to its end: every reply an integer
    EXPECT_EQ(c->stop(SIGTERM), 0);
  }
  EXPECT_EQ(lines, clients * each);
  EXPECT_EQ(cli(s.port(), {"get", "counter"}), fmt::format("\"{}\"\n", clients * each));
}

// redis-benchmark -q's summary line: "SET: 41237.11 requests per second, p50=0.487 msec".
// (Progress lines, "SET: rps=...", come before it.)
bool reports_rate(const std::string& out, std::string_view test) {
  const auto head = fmt::format("{}: ", test);
  for (auto at = out.find(head); at != out.npos; at = out.find(head, at + 1)) {
    const auto from = at + head.size();
    const auto to = out.find_first_not_of("0123456789.", from);
    if (to != out.npos && to > from && out.compare(to, 20, " requests per second") == 0)
      return true;
  }
  return false;
}

TEST(RedisServerTest, BenchmarkGetSetReportsNoErrors) {
  const auto bench = redis_test::program(GORO_REDIS_BENCHMARK, "redis-benchmark");
  if (bench.empty()) return;
  server s;
  auto r = run({bench, "-p", std::to_string(s.port()), "-t", "get,set", "-n", "20000", "-q"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(reports_rate(r.out, "SET")) << r.out;
  EXPECT_TRUE(reports_rate(r.out, "GET")) << r.out;
  EXPECT_EQ(r.out.find("rror"), r.out.npos) << r.out;
  EXPECT_EQ(r.err.find("rror"), r.err.npos) << r.err;
  EXPECT_EQ(r.err.find("WARN"), r.err.npos) << r.err;
  EXPECT_GE(std::stoll(info_field(s.port(), "total_commands_processed")), 40000);
}

TEST(RedisServerTest, ActiveExpiryRemovesKeysNobodyReads) {
  if (cli_path().empty()) return;
  server s({"--shards", "4"});
  std::string cmds;
  for (int i = 0; i < 200; ++i) cmds += fmt::format("SET tmp:{} v PX 1\r\n", i);
  cmds += "SET stays v\r\n";
  auto r = run({cli_path(), "-p", std::to_string(s.port()), "--pipe"}, cmds);
  EXPECT_NE(r.out.find("errors: 0, replies: 201"), r.out.npos) << r.out;
  // Nobody touches the keys: only the sweeps can delete them (DBSIZE counts expired keys
  // until then, as Redis' does).
  const auto end = std::chrono::steady_clock::now() + bound;
  std::string size;
  while ((size = cli(s.port(), {"dbsize"})) != "(integer) 1\n" &&
         std::chrono::steady_clock::now() < end) {
  }
  EXPECT_EQ(size, "(integer) 1\n");
  EXPECT_EQ(info_field(s.port(), "expired_keys"), "200");
  EXPECT_EQ(cli(s.port(), {"get", "stays"}), "\"v\"\n");
}

TEST(RedisServerTest, IdleTimeoutClosesIdleConnectionsButNotSubscribers) {
  server s({"--timeout", "1"});
  raw_client idle(s.port()), sub(s.port());
  idle.send("PING\r\n");
  EXPECT_EQ(idle.read(7), "+PONG\r\n");
  sub.send("SUBSCRIBE ch\r\n");
  const std::string confirm = "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n";
  EXPECT_EQ(sub.read(confirm.size()), confirm);
  bool closed = false;
  EXPECT_EQ(idle.read_to_close(&closed), "");
  EXPECT_TRUE(closed) << "the idle connection was not closed";
  // The subscriber outlived the idle connection's timeout and still gets its messages.
  raw_client pub(s.port());
  pub.send("PUBLISH ch hi\r\n");
  EXPECT_EQ(pub.read(4), ":1\r\n");
  const std::string msg = "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n";
  EXPECT_EQ(sub.read(msg.size()), msg);
}

// SIGTERM while a client's pipeline is being served: each command the server read is
// answered in full, then the connection closes; the server exits 0.
TEST(RedisServerTest, ShutdownAnswersTheCommandsItReadThenCloses) {
  auto s = std::make_unique<server>();
  raw_client c(s->port());
  std::string req;
  for (int i = 0; i < 100000; ++i) req += "INCR n\r\n";
  std::thread sender([&] { c.send(req, true); });  // cut short once the server closes
  EXPECT_EQ(c.read(4), ":1\r\n");                  // serving has begun
  std::string rest;
  bool closed = false, reset = false;
  std::thread reader([&] { rest = c.read_to_close(&closed, &reset); });
  s.reset();  // SIGTERM, then the exit status checked
  reader.join();
  sender.join();
  EXPECT_TRUE(closed);
  // Whole replies, in order: ":2\r\n:3\r\n...:k\r\n". (Had the server closed with some of
  // our bytes unread, the kernel sent a reset, which may cut what was in flight to us.)
  std::size_t at = 0;
  long next = 2;
  while (at < rest.size()) {
    auto want = fmt::format(":{}\r\n", next++);
    if (reset && rest.size() - at < want.size()) break;
    ASSERT_EQ(rest.substr(at, want.size()), want) << "at byte " << at;
    at += want.size();
  }
}

TEST(RedisServerTest, BadFlagsExitWithStatus2) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--port", "70000"}, "redis: --port: want 0..65535\n"},
      {{"--shards", "0"}, "redis: --shards: want 1..4096\n"},
      {{"--timeout", "-1"}, "redis: --timeout: want 0..1000000000\n"},
      {{"--procs", "x"}, "redis: --procs: want 1..1024\n"},
      {{"--bogus", "1"}, "redis: unknown flag --bogus\n"},
  };
  for (auto& [flags, want] : cases) {
    std::vector<std::string> argv{server_path()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto r = run(argv);
    EXPECT_EQ(r.status, 2) << flags[0];
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(r.err.starts_with(want + "usage: redis ")) << r.err;
  }
  auto help = run({server_path(), "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_TRUE(help.out.starts_with("usage: redis [--port P=6379]")) << help.out;
}

}  // namespace
