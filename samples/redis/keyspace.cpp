// samples/redis/keyspace.cpp: the sharded keyspace.
// Lock order: shard mutexes in ascending index; never another lock while holding one.
// RK1: a key is in shard index_of(key) only.
// RK2: a key is in volatile_keys iff its entry has expire_at != 0 (both under the shard's mu).
// RK3: no operation returns or counts an entry whose expire_at <= now: find_live deletes it.
#include "keyspace.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "glob.hpp"
#include "resp.hpp"

namespace redis {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class keyspace::multi_lock {
 public:
  multi_lock(keyspace& ks, const std::vector<std::string>& keys, std::size_t from,
             std::size_t step) {
    for (std::size_t i = from; i < keys.size(); i += step) held_.push_back(ks.index_of(keys[i]));
    std::sort(held_.begin(), held_.end());
    held_.erase(std::unique(held_.begin(), held_.end()), held_.end());
    for (auto i : held_) {
      locked_.push_back(&ks.shards_[i]->mu);
      locked_.back()->lock();  // in ascending index: the lock order
    }
  }
  ~multi_lock() {
    for (auto* mu : locked_) mu->unlock();
  }
  multi_lock(const multi_lock&) = delete;
  multi_lock& operator=(const multi_lock&) = delete;

 private:
  std::vector<std::size_t> held_;
  std::vector<goro::mutex*> locked_;
};

keyspace::keyspace(int shards) {
  for (int i = 0; i < shards; ++i) shards_.push_back(std::make_unique<shard>());
}

std::size_t keyspace::index_of(std::string_view key) const {
  // The map hashes the same way: mix the bits so a shard's keys spread over its buckets.
  std::uint64_t h = std::hash<std::string_view>{}(key);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<std::size_t>(h % shards_.size());
}

keyspace::shard& keyspace::shard_of(std::string_view key) { return *shards_[index_of(key)]; }

keyspace::map_iter keyspace::find_live(shard& s, std::string_view key, std::int64_t now) {
  auto it = s.map.find(key);
  if (it != s.map.end() && it->second.expire_at != 0 && it->second.expire_at <= now) {
    ++s.expired;
    erase(s, it);  // keeps RK3
    return s.map.end();
  }
  return it;
}

void keyspace::erase(shard& s, map_iter it) {
  if (it->second.expire_at != 0) s.volatile_keys.erase(it->first);  // keeps RK2
  s.map.erase(it);
}

void keyspace::set_expiry(shard& s, map_iter it, std::int64_t at) {
  if (at == 0 && it->second.expire_at != 0) s.volatile_keys.erase(it->first);  // keeps RK2
  if (at != 0 && it->second.expire_at == 0) s.volatile_keys.insert(it->first);
  it->second.expire_at = at;
}

std::optional<std::string> keyspace::get(std::string_view key) {
  auto& s = shard_of(key);
  std::lock_guard g(s.mu);
  auto it = find_live(s, key, now_ms());
  if (it == s.map.end()) return std::nullopt;
  return it->second.value;
}

bool keyspace::set(std::string_view key, std::string_view value, const set_options& opts) {
  auto& s = shard_of(key);
  std::lock_guard g(s.mu);
  auto it = find_live(s, key, now_ms());
  const bool found = it != s.map.end();
  if ((opts.nx && found) || (opts.xx && !found)) return false;
  if (!found) it = s.map.try_emplace(std::string(key)).first;
  it->second.value.assign(value);
  if (!opts.keep_ttl) set_expiry(s, it, opts.expire_at);
  return true;
}

std::optional<std::int64_t> keyspace::incr_by(std::string_view key, std::int64_t delta,
                                              const char** error) {
  auto& s = shard_of(key);
  std::lock_guard g(s.mu);  // read, add, write under one lock: no lost update
  auto it = find_live(s, key, now_ms());
  std::int64_t v = 0;
  if (it != s.map.end()) {
    auto n = parse_int(it->second.value);
    if (!n) {
      *error = "ERR value is not an integer or out of range";
      return std::nullopt;
    }
    v = *n;
  }
  if ((delta < 0 && v < INT64_MIN - delta) || (delta > 0 && v > INT64_MAX - delta)) {
    *error = "ERR increment or decrement would overflow";
    return std::nullopt;
  }
  v += delta;
  if (it == s.map.end()) it = s.map.try_emplace(std::string(key)).first;
  it->second.value = std::to_string(v);  // the time to live stays, as in Redis
  return v;
}

std::int64_t keyspace::del(const std::vector<std::string>& keys, std::size_t from) {
  multi_lock g(*this, keys, from, 1);
  const auto now = now_ms();
  std::int64_t n = 0;
  for (std::size_t i = from; i < keys.size(); ++i) {
    auto& s = shard_of(keys[i]);
    auto it = find_live(s, keys[i], now);
    if (it == s.map.end()) continue;
    erase(s, it);
    ++n;
  }
  return n;
}

std::int64_t keyspace::exists(const std::vector<std::string>& keys, std::size_t from) {
  multi_lock g(*this, keys, from, 1);
  const auto now = now_ms();
  std::int64_t n = 0;
  for (std::size_t i = from; i < keys.size(); ++i) {
    auto& s = shard_of(keys[i]);
    if (find_live(s, keys[i], now) != s.map.end()) ++n;  // a key named twice counts twice
  }
  return n;
}

void keyspace::mset(const std::vector<std::string>& pairs, std::size_t from) {
  multi_lock g(*this, pairs, from, 2);
  for (std::size_t i = from; i + 1 < pairs.size(); i += 2) {
    auto& s = shard_of(pairs[i]);
    auto it = s.map.try_emplace(pairs[i]).first;
    it->second.value = pairs[i + 1];
    set_expiry(s, it, 0);
  }
}

std::vector<std::optional<std::string>> keyspace::mget(const std::vector<std::string>& keys,
                                                       std::size_t from) {
  multi_lock g(*this, keys, from, 1);
  const auto now = now_ms();
  std::vector<std::optional<std::string>> out;
  for (std::size_t i = from; i < keys.size(); ++i) {
    auto& s = shard_of(keys[i]);
    auto it = find_live(s, keys[i], now);
    out.push_back(it == s.map.end() ? std::nullopt : std::optional(it->second.value));
  }
  return out;
}

bool keyspace::expire_at(std::string_view key, std::int64_t at, expire_condition cond) {
  auto& s = shard_of(key);
  std::lock_guard g(s.mu);
  const auto now = now_ms();
  auto it = find_live(s, key, now);
  if (it == s.map.end()) return false;
  const std::int64_t cur = it->second.expire_at;  // 0: none, an infinite time to live
  switch (cond) {
    case expire_condition::always:
      break;
    case expire_condition::nx:
      if (cur != 0) return false;
      break;
    case expire_condition::xx:
      if (cur == 0) return false;
      break;
    case expire_condition::gt:
      if (cur == 0 || at <= cur) return false;
      break;
    case expire_condition::lt:
      if (cur != 0 && at >= cur) return false;
      break;
  }
  if (at <= now) {
    erase(s, it);
    return true;
  }
  set_expiry(s, it, at);
  return true;
}

std::int64_t keyspace::ttl_ms(std::string_view key) {
  auto& s = shard_of(key);
  std::lock_guard g(s.mu);
  const auto now = now_ms();
  auto it = find_live(s, key, now);
  if (it == s.map.end()) return -2;
  if (it->second.expire_at == 0) return -1;
  return it->second.expire_at - now;
}

std::vector<std::string> keyspace::keys(std::string_view pattern) {
  const bool all = pattern == "*";
  std::vector<std::string> out;
  for (auto& sp : shards_) {  // one shard at a time, as Redis' KEYS is one pass
    auto& s = *sp;
    std::lock_guard g(s.mu);
    const auto now = now_ms();
    for (auto& [k, e] : s.map)
      if ((e.expire_at == 0 || e.expire_at > now) && (all || glob_match(pattern, k)))
        out.push_back(k);
  }
  return out;
}

std::int64_t keyspace::size() {
  std::int64_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard g(s->mu);
    n += static_cast<std::int64_t>(s->map.size());
  }
  return n;
}

std::int64_t keyspace::volatile_size() {
  std::int64_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard g(s->mu);
    n += static_cast<std::int64_t>(s->volatile_keys.size());
  }
  return n;
}

void keyspace::flush() {
  for (auto& s : shards_) {
    std::lock_guard g(s->mu);
    s->map.clear();
    s->volatile_keys.clear();
  }
}

std::size_t keyspace::sweep(int index, std::size_t sample) {
  auto& s = *shards_[static_cast<std::size_t>(index)];
  std::lock_guard g(s.mu);
  auto& vk = s.volatile_keys;
  if (vk.empty()) return 0;
  const auto now = now_ms();
  std::vector<std::string> expired;
  std::size_t seen = 0;
  const std::size_t buckets = vk.bucket_count();
  // Bucket by bucket from where the last sweep stopped: every key is sampled in turn.
  for (std::size_t b = 0; b < buckets && seen < sample; ++b) {
    s.sweep_bucket = (s.sweep_bucket + 1) % buckets;
    for (auto it = vk.begin(s.sweep_bucket); it != vk.end(s.sweep_bucket); ++it) {
      ++seen;
      auto e = s.map.find(*it);
      if (e != s.map.end() && e->second.expire_at <= now) expired.push_back(*it);
    }
  }
  for (auto& k : expired) erase(s, s.map.find(k));
  s.expired += expired.size();
  return expired.size();
}

std::uint64_t keyspace::expired_keys() const {
  std::uint64_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard g(s->mu);
    n += s->expired;
  }
  return n;
}

}  // namespace redis
