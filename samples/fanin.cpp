// samples/fanin.cpp: many producers merged into one channel (Go's fan-in), used to serialise
// purchase requests for one item. The Go original (the pipelines article's merge):
//
//   func merge(cs ...<-chan int) <-chan int {
//       var wg sync.WaitGroup
//       out := make(chan int)
//       output := func(c <-chan int) {
//           for n := range c { out <- n }
//           wg.Done()
//       }
//       wg.Add(len(cs))
//       for _, c := range cs { go output(c) }
//       go func() { wg.Wait(); close(out) }()
//       return out
//   }
//
// Many buyers want one item of which only --stock are left. Each buyer is a fiber sending
// its requests on a channel of its own; the channels are merged into one, and one seller
// fiber reads the merged stream. Only the seller touches the stock, so it needs no lock: the
// merge puts the requests in a line, and exactly --stock of them succeed, whatever the
// interleaving; the rest are told "sold out". Each request carries a reply channel for its
// answer (Go's request/reply idiom), and the seller tallies which requests it answered, so
// the end can check that every request was answered exactly once.
//
// The merge is done twice: by hand, as in Go (a forwarding fiber per input, and a fiber that
// closes the output once a wait_group says every forwarder has ended), then with
// goro::patterns::merge, which does the same and also stops when its context ends.
//
// --help: fanin [--buyers N=8] [--requests N=5] [--stock N=20]
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>
#include <goro/patterns/fan_in.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: fanin [--buyers N=8] [--requests N=5] [--stock N=20]\n"
    "  --buyers N    buyer fibers, each with its own request channel (1..1000)\n"
    "  --requests N  purchase requests made by each buyer (1..1000)\n"
    "  --stock N     items in stock at the start (0..1000000)\n";

struct args {
  int buyers = 8;
  int requests = 5;
  int stock = 20;
};

args parse_or_exit(int argc, char** argv) {
  args a;
  samples::flags("fanin", usage)
      .integer("--buyers", a.buyers, 1, 1000)
      .integer("--requests", a.requests, 1, 1000)
      .integer("--stock", a.stock, 0, 1'000'000)
      .parse(argc, argv);
  return a;
}

// One purchase request: who asks, and where the answer goes (true: bought, false: sold out).
struct purchase {
  int id;                  // buyer * requests + n: numbers every request once
  goro::chan<bool> reply;  // buffered 1: the seller never waits for a buyer
};

// Go's merge, by hand: a fiber per input forwards its values to out; once the wait_group
// says every forwarder has ended, one more fiber closes out. The wait_group is shared by the
// fibers (a shared_ptr), since merge_by_hand returns before they end.
template <class T>
goro::recv_chan<T> merge_by_hand(const std::vector<goro::recv_chan<T>>& inputs) {
  goro::chan<T> out(0);
  auto forwarding = std::make_shared<goro::wait_group>();
  forwarding->add(static_cast<std::int64_t>(inputs.size()));  // before the fibers start
  for (const auto& in : inputs) {
    goro::go([in, out, forwarding] {
      for (T v : in) out.send(std::move(v));  // until this input is closed and drained
      forwarding->done();
    });
  }
  goro::go([out, forwarding] {
    forwarding->wait();
    out.close();  // every input drained: ends the reader's range-for
  });
  return out;
}

// A buyer: sends its requests one at a time on its own channel, waiting for each answer;
// then closes the channel (it will ask no more). Returns how many items it bought.
int buyer(goro::send_chan<purchase> requests, int first_id, int count) {
  int bought = 0;
  for (int n = 0; n < count; ++n) {
    goro::chan<bool> reply(1);
    requests.send({first_id + n, reply});
    if (*reply.recv()) ++bought;
  }
  requests.close();
  return bought;
}

// What the seller did, for the checks at the end.
struct sales {
  int sold = 0;
  int sold_out = 0;
  std::vector<int> answers;  // answers[id]: how many times request id was answered
};

// The seller: the one fiber that reads the merged stream and owns the stock.
sales sell(goro::recv_chan<purchase> merged, int stock, int total_requests) {
  sales s;
  s.answers.assign(total_requests, 0);
  for (purchase p : merged) {  // until every buyer has closed its channel
    const bool in_stock = stock > 0;
    if (in_stock) {
      --stock;
      ++s.sold;
    } else {
      ++s.sold_out;
    }
    ++s.answers[p.id];
    p.reply.send(in_stock);
  }
  return s;
}

// Starts the buyers, merges their channels with `merge`, sells, and prints and checks the
// outcome. Returns false if a check failed.
template <class Merge>
bool run_sale(const args& a, Merge merge) {
  std::vector<goro::join_handle<int>> buyers;
  std::vector<goro::recv_chan<purchase>> channels;
  for (int b = 0; b < a.buyers; ++b) {
    goro::chan<purchase> requests(0);
    channels.push_back(requests);
    buyers.push_back(goro::spawn(buyer, requests, b * a.requests, a.requests));
  }
  const int total = a.buyers * a.requests;
  auto seller = goro::spawn(sell, merge(channels), a.stock, total);

  int bought = 0;
  std::string per_buyer;
  for (auto& h : buyers) {
    int n = h.join();
    bought += n;
    per_buyer += fmt::format(" {}", n);
  }
  sales s = seller.join();  // returns once the merged channel is closed: every buyer is done

  int once = 0;
  for (int n : s.answers) once += n == 1;
  const int want_sold = std::min(a.stock, total);
  fmt::print("  {} requests, {} answered exactly once: {} sold, {} told \"sold out\"\n", total,
             once, s.sold, s.sold_out);
  fmt::print("  bought per buyer:{} (total {})\n", per_buyer, bought);
  return once == total && s.sold == want_sold && s.sold_out == total - want_sold &&
         bought == s.sold;
}

}  // namespace

int main(int argc, char** argv) try {
  auto a = parse_or_exit(argc, argv);

  return goro::run([&] {
    fmt::print("{} buyers, {} requests each, for one item with {} in stock\n", a.buyers, a.requests,
               a.stock);

    fmt::print("merged by hand (a fiber per input, a wait_group closes the output):\n");
    bool ok = run_sale(a, [](const auto& chans) { return merge_by_hand(chans); });

    fmt::print("merged by goro::patterns::merge:\n");
    ok &= run_sale(a, [](const auto& chans) {
      return goro::patterns::merge(goro::context{}, chans);  // background: never cancelled
    });

    if (!ok) {
      fmt::print(stderr, "fanin: a request was lost, answered twice, or the stock was wrong\n");
      return 1;
    }
    fmt::print("every request answered once, and never more sold than the stock\n");
    return 0;
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("fanin", e);
}
