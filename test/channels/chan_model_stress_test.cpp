// A randomized test of channels against Go's semantics. Senders (fibers and a plain
// thread) send unique values with random operations (send, try_send, select send, with or
// without a default); receivers (fibers and a plain thread) take them with recv, try_recv
// and select over all channels; a closer closes every channel at a random moment.
// Checked, as a sequential model of Go's channels would have it:
//   - every value whose send succeeded is received exactly once; no other value is;
//   - per channel and sender, each receiver sees that sender's values in send order;
//   - a send on a closed channel throws, and its value is never received;
//   - after close, receivers drain what was buffered, then get "closed".
// Hunts: lost or duplicated hand-offs between the buffer and parked waiters, select
// waiters claimed twice, wakeups lost at close. Seeded: GORO_TEST_SEED=<n> replays one.
#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <goro/select.hpp>

#include "goro_test.hpp"

namespace {

constexpr int channels = 5;
constexpr std::size_t caps[channels] = {0, 1, 2, 7, 64};

struct value {
  int sender;
  int seq;
};

struct world {
  explicit world(std::uint64_t seed) : seed(seed) {
    for (int i = 0; i < channels; ++i) cs.emplace_back(caps[i]);
  }
  std::uint64_t seed;
  std::vector<goro::chan<value>> cs;
  std::mutex m;  // guards the records below (taken briefly, never across a goro wait)
  std::vector<std::pair<int, int>> sent;      // (sender, seq) whose send succeeded
  std::vector<std::pair<int, int>> received;  // every (sender, seq) received
  std::atomic<int> order_violations{0};
  std::atomic<int> closed_sends_not_thrown{0};
};

// One sender: `ops` random send operations on random channels.
void sender(world& w, int id, int ops) {
  std::mt19937_64 rng(w.seed * 1000 + id);
  std::vector<std::pair<int, int>> mine;
  int seq = 0;
  for (int i = 0; i < ops; ++i) {
    int c = static_cast<int>(rng() % channels);
    value v{id, seq};
    bool sent = false;
    try {
      switch (rng() % 4) {
        case 0:
          w.cs[c].send(v);
          sent = true;
          break;
        case 1:
          sent = w.cs[c].try_send(v);
          break;
        case 2:
          sent = goro::select(goro::send(w.cs[c], v), goro::otherwise()) == 0;
          break;
        default: {
          int d = static_cast<int>(rng() % channels);
          int r = goro::select(goro::send(w.cs[c], v), goro::send(w.cs[d], value{id, seq}));
          sent = true;
          c = r == 0 ? c : d;
          break;
        }
      }
    } catch (const goro::closed_channel_error&) {
      sent = false;
    }
    if (sent) {
      mine.emplace_back(id, seq);
      ++seq;  // a new value only after a successful send: seqs per sender are unique
    }
    if (rng() % 16 == 0) goro::this_fiber::yield();
  }
  std::lock_guard g(w.m);
  w.sent.insert(w.sent.end(), mine.begin(), mine.end());
}

// One receiver: until every channel is closed and drained.
void receiver(world& w, int id) {
  std::mt19937_64 rng(w.seed * 7777 + id);
  std::array<bool, channels> done{};
  std::map<std::pair<int, int>, int> last;  // (channel, sender) -> last seq seen here
  std::vector<std::pair<int, int>> mine;
  auto take = [&](int c, const std::optional<value>& v) {
    if (!v) {
      done[c] = true;
      return;
    }
    auto key = std::pair{c, v->sender};
    auto it = last.find(key);
    if (it != last.end() && it->second >= v->seq) w.order_violations.fetch_add(1);
    last[key] = v->seq;
    mine.emplace_back(v->sender, v->seq);
  };
  while (std::count(done.begin(), done.end(), false) > 0) {
    int c = static_cast<int>(rng() % channels);
    if (done[c]) continue;
    switch (rng() % 3) {
      case 0:
        take(c, w.cs[c].recv());
        break;
      case 1: {
        auto r = w.cs[c].try_recv();  // a value, or closed and drained: as recv() says it
        if (r.not_ready())
          goro::this_fiber::yield();
        else
          take(c, std::move(r).take());
        break;
      }
      default: {
        // select over every channel not known closed (known-closed ones: nil, never ready)
        goro::chan<value> nil;
        auto pick = [&](int i) -> const goro::chan<value>& { return done[i] ? nil : w.cs[i]; };
        int got = -1;
        std::optional<value> v;
        auto on = [&](int i) {
          return [&, i](std::optional<value> x) { got = i, v = std::move(x); };
        };
        goro::select(goro::recv(pick(0), on(0)), goro::recv(pick(1), on(1)),
                     goro::recv(pick(2), on(2)), goro::recv(pick(3), on(3)),
                     goro::recv(pick(4), on(4)));
        take(got, v);
        break;
      }
    }
  }
  std::lock_guard g(w.m);
  w.received.insert(w.received.end(), mine.begin(), mine.end());
}

void closer(world& w) {
  std::mt19937_64 rng(w.seed * 31337);
  std::vector<int> order(channels);
  for (int i = 0; i < channels; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  for (int c : order) {
    for (int y = static_cast<int>(rng() % 200); y > 0; --y) goro::this_fiber::yield();
    w.cs[c].close();
    value v{-1, 0};
    try {
      w.cs[c].send(v);
      w.closed_sends_not_thrown.fetch_add(1);
    } catch (const goro::closed_channel_error&) {
    }
  }
}

using ChanModelTest = goro_test::RuntimeTest;

TEST_P(ChanModelTest, RandomOperationsMatchGoSemantics) {
  const int seeds = static_cast<int>(goro_test::scaled(20));
  const int ops = 2000;
  const std::uint64_t base = goro_test::seed();
  for (int s = 0; s < seeds; ++s) {
    const std::uint64_t seed = base + static_cast<std::uint64_t>(s);
    SCOPED_TRACE(fmt::format("GORO_TEST_SEED={}", seed));
    world w(seed);
    constexpr int fiber_senders = 6, fiber_receivers = 4;
    std::vector<goro::join_handle<void>> hs;
    for (int i = 0; i < fiber_senders; ++i) hs.push_back(goro::spawn(sender, std::ref(w), i, ops));
    for (int i = 0; i < fiber_receivers; ++i) hs.push_back(goro::spawn(receiver, std::ref(w), i));
    std::thread thread_sender(sender, std::ref(w), fiber_senders, ops / 4);
    std::thread thread_receiver(receiver, std::ref(w), fiber_receivers);
    hs.push_back(goro::spawn(closer, std::ref(w)));
    for (auto& h : hs) h.join();
    thread_sender.join();
    thread_receiver.join();

    std::sort(w.sent.begin(), w.sent.end());
    std::sort(w.received.begin(), w.received.end());
    ASSERT_EQ(w.received, w.sent) << "values lost or duplicated (" << w.sent.size() << " sent, "
                                  << w.received.size() << " received)";
    ASSERT_EQ(w.order_violations.load(), 0) << "per-sender FIFO broken";
    ASSERT_EQ(w.closed_sends_not_thrown.load(), 0);
  }
}

GORO_INSTANTIATE(ChanModelTest, 1, 2, 4);

}  // namespace

namespace {

// Go's TestSelectStress: per channel (capacities 0, 0, 2, 3) a plain sender and a plain
// receiver, plus one fiber sending N on every channel through a select over all four and
// one receiving N from every channel the same way (a channel's case is switched off, made
// nil, once it has carried its N). Every value arrives once: the sums match.
using SelectStressTest = goro_test::RuntimeTest;

TEST_P(SelectStressTest, DirectAndSelectSendersAndReceiversMeetOnFourChannels) {
  const int n = static_cast<int>(goro_test::scaled(10'000));
  std::array<goro::chan<int>, 4> c{goro::chan<int>(0), goro::chan<int>(0), goro::chan<int>(2),
                                   goro::chan<int>(3)};
  std::array<std::atomic<long>, 4> received{};
  std::vector<goro::join_handle<void>> hs;
  for (int k = 0; k < 4; ++k) {
    hs.push_back(goro::spawn([&, k] {
      for (int i = 0; i < n; ++i) c[k].send(i + 1);
    }));
    hs.push_back(goro::spawn([&, k] {
      for (int i = 0; i < n; ++i) received[k] += *c[k].recv();
    }));
  }
  hs.push_back(goro::spawn([&] {  // the select sender
    std::array<int, 4> left{n, n, n, n};
    std::array<goro::chan<int>, 4> live = c;
    for (int total = 0; total < 4 * n; ++total) {
      int k = goro::select(goro::send(live[0], left[0]), goro::send(live[1], left[1]),
                           goro::send(live[2], left[2]), goro::send(live[3], left[3]));
      if (--left[k] == 0) live[k] = goro::chan<int>();  // nil: the case is off
    }
  }));
  hs.push_back(goro::spawn([&] {  // the select receiver
    std::array<int, 4> left{n, n, n, n};
    std::array<goro::chan<int>, 4> live = c;
    for (int total = 0; total < 4 * n; ++total) {
      int k = -1;
      long v = 0;
      auto take = [&](int i) { return [&, i](std::optional<int> x) { k = i, v = *x; }; };
      goro::select(goro::recv(live[0], take(0)), goro::recv(live[1], take(1)),
                   goro::recv(live[2], take(2)), goro::recv(live[3], take(3)));
      received[k] += v;
      if (--left[k] == 0) live[k] = goro::chan<int>();
    }
  }));
  for (auto& h : hs) h.join();
  const long direct = long{n} * (n + 1) / 2;  // 1 + ... + n from the plain sender
  for (int k = 0; k < 4; ++k) EXPECT_EQ(received[k].load(), 2 * direct) << "channel " << k;
}

GORO_INSTANTIATE(SelectStressTest, 1, 2, 4);

}  // namespace
