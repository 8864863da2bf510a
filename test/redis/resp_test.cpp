// samples/redis/resp.hpp: the request parser (whole, byte by byte, malformed, limits), the
// inline splitter, string2ll, and the writer read back by reply_reader.
#include "resp.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using redis::parse_status;
using args = std::vector<std::string>;

// Every command in `bytes`, fed all at once or one byte at a time; and the final status.
std::pair<std::vector<args>, parse_status> parse(std::string_view bytes, bool bytewise,
                                                 redis::limits l = {}) {
  redis::request_parser p(l);
  std::vector<args> out;
  args a;
  auto drain = [&] {
    for (;;) {
      auto st = p.next(a);
      if (st != parse_status::command) return st;
      out.push_back(a);
    }
  };
  parse_status st = parse_status::need_more;
  if (bytewise) {
    for (char c : bytes) {
      p.feed(std::string_view(&c, 1));
      st = drain();
      if (st == parse_status::error) break;
    }
  } else {
    p.feed(bytes);
    st = drain();
  }
  return {out, st};
}

TEST(RespParserTest, MultibulkCommandsWholeAndByteByByte) {
  const char bytes[] =
      "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\r\nb\0\r\n*2\r\n$3\r\nGET\r\n$"
      "0\r\n\r\n";
  const std::string with_nul(bytes, sizeof bytes - 1);
  for (bool bytewise : {false, true}) {
    auto [cmds, st] = parse(with_nul, bytewise);
    EXPECT_EQ(st, parse_status::need_more);
    ASSERT_EQ(cmds.size(), 3u) << bytewise;
    EXPECT_EQ(cmds[0], args{"PING"});
    EXPECT_EQ(cmds[1], (args{"SET", "k", std::string("a\r\nb\0", 5)}));  // binary-safe
    EXPECT_EQ(cmds[2], (args{"GET", ""}));
  }
}

TEST(RespParserTest, BigBulkArrivesInPieces) {
  const std::string v(100000, 'v');
  const std::string req = "*2\r\n$4\r\nECHO\r\n$100000\r\n" + v + "\r\n";
  redis::request_parser p;
  args a;
  for (std::size_t at = 0; at < req.size(); at += 777) {
    EXPECT_EQ(p.next(a), parse_status::need_more);
    p.feed(std::string_view(req).substr(at, 777));
  }
  ASSERT_EQ(p.next(a), parse_status::command);
  EXPECT_EQ(a, (args{"ECHO", v}));
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(RespParserTest, InlineCommandsAsRedisSplitsThem) {
  auto [cmds, st] = parse(
      "PING\r\nset k \"a b\\x41\\n\"\nECHO 'it\\'s'\r\n\r\n   \r\nGET  k  \r\nx\"y z\"w\n", true);
  EXPECT_EQ(st, parse_status::error);  // the last: a closing quote not followed by a space
  ASSERT_EQ(cmds.size(), 4u);
  EXPECT_EQ(cmds[0], args{"PING"});
  EXPECT_EQ(cmds[1], (args{"set", "k", "a bA\n"}));
  EXPECT_EQ(cmds[2], (args{"ECHO", "it's"}));
  EXPECT_EQ(cmds[3], (args{"GET", "k"}));
}

TEST(RespParserTest, EmptyCommandsAreSkipped) {
  auto [cmds, st] = parse("*0\r\n*-1\r\n\r\n\n*1\r\n$4\r\nPING\r\n", true);
  EXPECT_EQ(st, parse_status::need_more);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0], args{"PING"});
}

TEST(RespParserTest, MalformedInputGetsRedisErrorAndStaysFailed) {
  const std::pair<std::string, std::string> cases[] = {
      {"*a\r\n", "Protocol error: invalid multibulk length"},
      {"*\r\n", "Protocol error: invalid multibulk length"},
      {"*01\r\n", "Protocol error: invalid multibulk length"},
      {"*2147483648\r\n", "Protocol error: invalid multibulk length"},
      {"*1\r\n+PING\r\n", "Protocol error: expected '$', got '+'"},
      {"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$x\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"},
      {"PING \"a\r\n", "Protocol error: unbalanced quotes in request"},
      {"PING 'a'b\r\n", "Protocol error: unbalanced quotes in request"},
  };
  for (auto& [bytes, why] : cases) {
    for (bool bytewise : {false, true}) {
      redis::request_parser p;
      args a;
      parse_status st = parse_status::need_more;
      for (std::size_t i = 0; i < bytes.size() && st != parse_status::error; ++i) {
        p.feed(bytewise ? std::string_view(bytes).substr(i, 1) : std::string_view(bytes));
        st = p.next(a);
        if (!bytewise) break;
      }
      EXPECT_EQ(st, parse_status::error) << bytes;
      EXPECT_EQ(p.error(), why) << bytes;
      p.feed("*1\r\n$4\r\nPING\r\n");  // nothing after an error is a command
      EXPECT_EQ(p.next(a), parse_status::error);
    }
  }
}

TEST(RespParserTest, LimitsOnBulkCountAndLineLength) {
  redis::limits l{.max_bulk = 10, .max_multibulk = 3, .max_inline = 16};
  EXPECT_EQ(parse("*1\r\n$10\r\n0123456789\r\n", false, l).first.size(), 1u);
  auto big = parse("*1\r\n$11\r\n", false, l);
  EXPECT_EQ(big.second, parse_status::error);
  EXPECT_EQ(parse("*3\r\n", false, l).second, parse_status::need_more);
  EXPECT_EQ(parse("*4\r\n", false, l).second, parse_status::error);
  // Lines without their end, past the limit.
  for (auto [bytes, why] :
       {std::pair{std::string(17, 'x'), "too big inline request"},
        std::pair{"*" + std::string(16, '1'), "too big mbulk count string"},
        std::pair{"*1\r\n$" + std::string(16, '1'), "too big bulk count string"},
        // With its end too: the verdict does not depend on the reads.
        std::pair{std::string(17, 'x') + "\r\n", "too big inline request"},
        std::pair{"*" + std::string(17, '1') + "\r\n", "too big mbulk count string"}}) {
    redis::request_parser p(l);
    args a;
    p.feed(bytes);
    EXPECT_EQ(p.next(a), parse_status::error) << bytes;
    EXPECT_EQ(p.error(), std::string("Protocol error: ") + why);
  }
  // A count of two billion arguments is accepted without reserving room for them.
  redis::request_parser p;
  args a;
  p.feed("*2000000000\r\n$4\r\nPING\r\n");
  EXPECT_EQ(p.next(a), parse_status::need_more);
}

TEST(RespParserTest, ParseIntIsRedisString2ll) {
  EXPECT_EQ(redis::parse_int("0"), 0);
  EXPECT_EQ(redis::parse_int("-42"), -42);
  EXPECT_EQ(redis::parse_int("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(redis::parse_int("-9223372036854775808"), INT64_MIN);
  for (auto bad : {"", "-", "+1", " 1", "1 ", "01", "-0", "1.5", "9223372036854775808",
                   "-9223372036854775809", "99999999999999999999", "1x"})
    EXPECT_EQ(redis::parse_int(bad), std::nullopt) << bad;
}

TEST(RespWriterTest, EveryTypeReadsBackByteByByte) {
  std::string out;
  redis::write_simple(out, "OK");
  redis::write_error(out, "ERR no");
  redis::write_integer(out, -7);
  redis::write_bulk(out, std::string("a\r\n\0", 4));
  redis::write_null(out);
  redis::write_array(out, 2);
  redis::write_bulk(out, "x");
  redis::write_array(out, 0);
  const char want_bytes[] =
      "+OK\r\n-ERR no\r\n:-7\r\n$4\r\na\r\n\0\r\n$-1\r\n*2\r\n$1\r\nx\r\n*0\r\n";
  EXPECT_EQ(out, std::string(want_bytes, sizeof want_bytes - 1));
  using kind = redis::value::kind;
  const std::vector<redis::value> want = {
      {kind::simple, "OK"},
      {kind::error, "ERR no"},
      {kind::integer, "", -7},
      {kind::bulk, std::string("a\r\n\0", 4)},
      {kind::null},
      {kind::array, "", 0, {{kind::bulk, "x"}, {kind::array}}},
  };
  redis::reply_reader r;
  std::vector<redis::value> got;
  for (char c : out) {
    r.feed(std::string_view(&c, 1));
    while (auto v = r.next()) got.push_back(*v);
  }
  EXPECT_EQ(got, want);
}

TEST(RespWriterTest, ReaderRejectsMalformedReplies) {
  for (auto bad : {"?x\r\n", ":1x\r\n", "$-2\r\n", "$1\r\nab\r\n", "*-2\r\n"}) {
    redis::reply_reader r;
    r.feed(bad);
    EXPECT_THROW(r.next(), std::runtime_error) << bad;
  }
}

}  // namespace
