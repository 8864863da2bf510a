// samples/redis/glob.hpp: Redis' glob-style match (util.c stringmatchlen), for KEYS and
// PSUBSCRIBE: `*` any run, `?` one byte, `[abc]`, `[^a-z]` classes, `\x` a literal x.
//
//   redis::glob_match("h?llo*", "hallo world");  // true
#pragma once

#include <string_view>

namespace redis {

bool glob_match(std::string_view pattern, std::string_view s);

}  // namespace redis
