// libFuzzer target: arbitrary bytes as requests to samples/redis's RESP parser, and as
// replies to its reply reader. The parser must give the same commands and the same end
// (the same error text, or the same bytes left) whether the input arrives whole or in
// pieces of any size; every command it returns, written back as RESP, must parse to itself;
// limits hold (no argument longer than max_bulk, or max_inline inline). The reader may reject input
// (std::runtime_error) but never crash. ASan+UBSan watch.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "resp.hpp"

namespace {

struct outcome {
  std::vector<std::vector<std::string>> commands;
  redis::parse_status end = redis::parse_status::need_more;
  std::string error;
  std::size_t buffered = 0;
};

constexpr redis::limits small{.max_bulk = 64, .max_multibulk = 16, .max_inline = 128};

outcome parse(std::string_view in, std::size_t piece) {
  redis::request_parser p(small);
  outcome o;
  std::vector<std::string> argv;
  for (std::size_t at = 0; at < in.size() && o.end != redis::parse_status::error; at += piece) {
    p.feed(in.substr(at, piece));
    for (;;) {
      o.end = p.next(argv);
      if (o.end != redis::parse_status::command) break;
      if (argv.empty()) std::abort();  // empty commands are skipped
      for (auto& a : argv)
        if (a.size() > 128) std::abort();  // past max_bulk and max_inline
      o.commands.push_back(argv);
    }
  }
  o.error = p.error();
  o.buffered = o.end == redis::parse_status::error ? 0 : p.buffered();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = data[0] % 17 + 1;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto whole = parse(in, in.size() + 1);
  const auto split = parse(in, piece);
  if (whole.commands != split.commands || whole.end != split.end || whole.error != split.error ||
      whole.buffered != split.buffered)
    std::abort();  // incremental parsing must not depend on how the bytes arrive
  for (auto& cmd : whole.commands) {
    std::string again;
    redis::write_array(again, static_cast<std::int64_t>(cmd.size()));
    for (auto& a : cmd) redis::write_bulk(again, a);
    redis::request_parser p;
    std::vector<std::string> argv;
    p.feed(again);
    if (p.next(argv) != redis::parse_status::command || argv != cmd || p.buffered() != 0)
      std::abort();  // the writer's bytes parse back to the same command
  }
  redis::reply_reader r;
  r.feed(in);
  try {
    while (r.next()) {
    }
  } catch (const std::runtime_error&) {
    // malformed: rejected
  }
  return 0;
}
