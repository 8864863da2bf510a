// samples/redis/glob.cpp: stringmatchlen, as Redis 7 has it (case-sensitive), with its
// guard against exponential backtracking: a `*` that failed to match the rest from every
// position makes the whole match fail (Redis' skipLongerMatches).
#include "glob.hpp"

namespace redis {

namespace {

bool match(std::string_view p, std::string_view s, bool& skip_longer, int depth) {
  if (depth > 1000) {  // Redis' nesting limit: a pattern of many stars fails
    skip_longer = true;
    return false;
  }
  std::size_t i = 0, j = 0;
  while (i < p.size() && j < s.size()) {
    switch (p[i]) {
      case '*': {
        while (i + 1 < p.size() && p[i + 1] == '*') ++i;
        if (i + 1 == p.size()) return true;
        for (std::size_t k = j; k < s.size(); ++k) {
          if (match(p.substr(i + 1), s.substr(k), skip_longer, depth + 1)) return true;
          if (skip_longer) return false;
        }
        skip_longer = true;
        return false;
      }
      case '?':
        ++j;
        break;
      case '[': {
        ++i;
        const bool negate = i < p.size() && p[i] == '^';
        if (negate) ++i;
        bool hit = false;
        for (;;) {
          if (i >= p.size()) {  // an unclosed class: its last byte is the end
            --i;
            break;
          }
          if (p[i] == '\\' && i + 1 < p.size()) {
            ++i;
            if (p[i] == s[j]) hit = true;
          } else if (p[i] == ']') {
            break;
          } else if (i + 2 < p.size() && p[i + 1] == '-') {
            char lo = p[i], hi = p[i + 2];
            if (lo > hi) std::swap(lo, hi);
            i += 2;
            if (s[j] >= lo && s[j] <= hi) hit = true;
          } else if (p[i] == s[j]) {
            hit = true;
          }
          ++i;
        }
        if (negate) hit = !hit;
        if (!hit) return false;
        ++j;
        break;
      }
      case '\\':
        if (i + 1 < p.size()) ++i;
        [[fallthrough]];
      default:
        if (p[i] != s[j]) return false;
        ++j;
        break;
    }
    ++i;
    if (j == s.size()) {
      while (i < p.size() && p[i] == '*') ++i;
      break;
    }
  }
  return i == p.size() && j == s.size();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view s) {
  // As in Redis, nothing matches the empty string but the empty pattern (KEYS * lists
  // every key by a special case of its own).
  bool skip_longer = false;
  return match(pattern, s, skip_longer, 0);
}

}  // namespace redis
