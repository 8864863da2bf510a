// samples/redis/resp.hpp: RESP2, the Redis protocol. request_parser reads commands as a
// Redis server does: arrays of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and inline
// commands ("GET k\r\n", quoted as redis-cli and telnet users write them), fed in pieces
// as they arrive. The writer functions append replies to an output buffer; reply_reader
// reads any RESP2 value back (for clients and tests).
//
//   redis::request_parser p;
//   p.feed("*1\r\n$4\r\nPI");
//   std::vector<std::string> argv;
//   p.next(argv);          // parse_status::need_more
//   p.feed("NG\r\n");
//   p.next(argv);          // parse_status::command, argv == {"PING"}
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redis {

// Redis' limits, by its names: proto-max-bulk-len, the multibulk count limit, and
// PROTO_INLINE_MAX_SIZE (an inline command, or a "*N" or "$N" line, longer than this, with or
// without its end yet: the verdict does not depend on how the bytes arrive).
struct limits {
  std::int64_t max_bulk = 512 * 1024 * 1024;
  std::int64_t max_multibulk = INT_MAX;
  std::size_t max_inline = 64 * 1024;
};

enum class parse_status {
  command,    // argv holds the next command
  need_more,  // the bytes so far end inside a command: feed more
  error,      // a protocol error: error() says which; the connection must be closed
};

class request_parser {
 public:
  explicit request_parser(limits l = {}) : limits_(l) {}

  // Appends bytes as read from the connection.
  void feed(std::string_view bytes);
  // The next complete command, if the bytes fed hold one. Empty commands ("*0\r\n", blank
  // inline lines) are skipped, as Redis does. After an error, every call returns error.
  parse_status next(std::vector<std::string>& argv);
  // Redis' text, e.g. "Protocol error: invalid bulk length" (reply with "-ERR " before it).
  const std::string& error() const { return error_; }
  // Bytes fed and not yet consumed by a returned command.
  std::size_t buffered() const { return buf_.size() - pos_; }

 private:
  parse_status fail(std::string why);
  parse_status parse_inline(std::vector<std::string>& argv);
  parse_status parse_multibulk(std::vector<std::string>& argv);

  limits limits_;
  std::string buf_;
  std::size_t pos_ = 0;            // first unconsumed byte of buf_
  std::int64_t multibulk_ = 0;     // arguments still to read of the current array (0: none)
  std::int64_t bulk_ = -1;         // length of the bulk being read (-1: its "$N" line next)
  std::vector<std::string> args_;  // the current array's arguments so far
  std::string error_;
};

// Redis' sdssplitargs: splits an inline command into arguments. "..." takes \n \r \t \b \a
// \\ \" and \xHH escapes; '...' takes \'. A closing quote must be followed by a space or
// the end. Empty when the quotes are unbalanced.
std::optional<std::vector<std::string>> split_inline(std::string_view line);

// Redis' string2ll: an optional '-', then digits without a leading zero ("0" alone is
// fine), no spaces, within int64_t. Empty otherwise.
std::optional<std::int64_t> parse_int(std::string_view s);

// The writer: each appends one reply to out.
void write_simple(std::string& out, std::string_view s);  // +OK
void write_error(std::string& out, std::string_view s);   // -ERR ... (s holds "ERR ...")
void write_integer(std::string& out, std::int64_t n);     // :42
void write_bulk(std::string& out, std::string_view s);    // $3\r\nfoo
void write_null(std::string& out);                        // $-1
void write_array(std::string& out, std::int64_t n);       // *n, then n replies

// A RESP2 value as a client reads it.
struct value {
  enum class kind { simple, error, integer, bulk, null, array, null_array } type = kind::null;
  std::string text;  // simple, error, bulk
  std::int64_t integer = 0;
  std::vector<value> items;  // array
  bool operator==(const value&) const = default;
};

// Reads replies from bytes fed in pieces. next() is empty until a whole value arrived;
// malformed input throws std::runtime_error.
class reply_reader {
 public:
  void feed(std::string_view bytes) { buf_.append(bytes); }
  std::optional<value> next();

 private:
  std::string buf_;
};

}  // namespace redis
