// samples/redis/glob.hpp: Redis' stringmatchlen.
#include "glob.hpp"

#include <gtest/gtest.h>

namespace {

TEST(GlobTest, MatchesAsRedisKeysDoes) {
  using redis::glob_match;
  EXPECT_TRUE(glob_match("*", "anything"));
  EXPECT_TRUE(glob_match("h?llo", "hello"));
  EXPECT_FALSE(glob_match("h?llo", "hllo"));
  EXPECT_TRUE(glob_match("h*llo", "heeeello"));
  EXPECT_TRUE(glob_match("h[ae]llo", "hallo"));
  EXPECT_FALSE(glob_match("h[ae]llo", "hillo"));
  EXPECT_TRUE(glob_match("h[^e]llo", "hallo"));
  EXPECT_FALSE(glob_match("h[^e]llo", "hello"));
  EXPECT_TRUE(glob_match("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(glob_match("h[b-a]llo", "hallo"));  // a reversed range, as Redis swaps it
  EXPECT_TRUE(glob_match("a\\*b", "a*b"));
  EXPECT_FALSE(glob_match("a\\*b", "axb"));
  EXPECT_TRUE(glob_match("user:*:name", "user:42:name"));
  EXPECT_FALSE(glob_match("user:*:name", "user:42:age"));
  EXPECT_TRUE(glob_match("a*", "a"));
  EXPECT_TRUE(glob_match("**a**", "xxaxx"));
  EXPECT_FALSE(glob_match("abc", "ABC"));  // case-sensitive
  EXPECT_FALSE(glob_match("*", ""));       // Redis: nothing matches the empty string
  EXPECT_TRUE(glob_match("", ""));
  EXPECT_TRUE(glob_match("[abc", "c"));  // an unclosed class ends at the pattern's end
}

TEST(GlobTest, ManyStarsDoNotBacktrackExponentially) {
  // Redis' skipLongerMatches: this fails at once instead of trying every split.
  const std::string pattern = "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
  EXPECT_FALSE(redis::glob_match(pattern, std::string(200, 'a')));
}

}  // namespace
