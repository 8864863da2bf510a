// samples/quit.cpp: the request-quit pattern. A stage listens on its data channel and on a
// dedicated "quit" channel at once (a select); a signal on quit makes it clean up and end.
// The Go original (from the "Go Concurrency Patterns" talk):
//
//   func boring(msg string, quit chan string) <-chan string {
//       c := make(chan string)
//       go func() {
//           for i := 0; ; i++ {
//               select {
//               case c <- fmt.Sprintf("%s: %d", msg, i):
//               case <-quit:
//                   cleanup()
//                   quit <- "See you!"
//                   return
//               }
//           }
//       }()
//       return c
//   }
//
//   quit := make(chan string)
//   c := boring("Joe", quit)
//   for i := 0; i < 5; i++ { fmt.Println(<-c) }
//   quit <- "Bye!"
//   fmt.Printf("Joe says: %q\n", <-quit)
//
// Three runs:
//   1. one stage, as above: told to quit, it answers on the quit channel itself (the
//      acknowledgement: "I have cleaned up");
//   2. a chain source -> double -> add one sharing one quit channel: a signal is taken by
//      one stage only, so main must send one per stage; each stage acknowledges on an
//      acknowledgement channel;
//   3. the same chain told to quit by closing the quit channel: a closed channel is ready
//      for every receiver, so one close reaches all the stages (goro::context is built on
//      that: its done() channel is closed on cancel).
// After each run every fiber is joined: an acknowledgement says the stage stopped, a join
// that its fiber has ended. The live-fiber count at the end shows that none is left.
//
// --help: quit [--values N=5]
#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: quit [--values N=5]\n"
    "  --values N  values main reads before it asks the stages to quit (1..1000)\n";

// Run 1: Go's boring(). Sends "Joe: 0", "Joe: 1", ... on out until a message comes in on
// quit; then cleans up, answers on quit, and returns how many it sent.
int boring(std::string msg, goro::send_chan<std::string> out, goro::chan<std::string> quit) {
  for (int i = 0;; ++i) {
    bool quitting = false;
    goro::select(goro::send(out, fmt::format("{}: {}", msg, i)),
                 goro::recv(quit, [&](std::optional<std::string>) { quitting = true; }));
    if (quitting) {
      // cleanup() would go here: the stage owns its resources until it answers.
      quit.send("See you!");
      return i;
    }
  }
}

// Runs 2 and 3: a quit signal carries nothing; its arrival is the message.
struct quit_signal {};

// The next value of in, or empty if a quit signal came first (or quit was closed).
std::optional<int> recv_or_quit(const goro::recv_chan<int>& in,
                                const goro::recv_chan<quit_signal>& quit) {
  std::optional<int> v;
  goro::select(goro::recv(in, [&](std::optional<int> got) { v = got; }), goro::recv(quit));
  return v;  // in is never closed here, so empty means: quit
}

// Sends v on out; false if a quit signal came first (or quit was closed).
bool send_or_quit(const goro::send_chan<int>& out, int v,
                  const goro::recv_chan<quit_signal>& quit) {
  return goro::select(goro::send(out, v), goro::recv(quit)) == 0;
}

// The chain's first stage: 0, 1, 2, ... on out, until told to quit. Then it acknowledges.
void count_up(goro::send_chan<int> out, goro::recv_chan<quit_signal> quit,
              goro::send_chan<std::string> acks) {
  int sent = 0;
  while (send_or_quit(out, sent, quit)) ++sent;
  acks.send(fmt::format("source (sent {})", sent));
}

// A middle stage: f of every value from in, sent on out, until told to quit. Waiting to
// receive and waiting to send both listen to quit, so it can quit at either point.
void apply(std::string name, std::function<int(int)> f, goro::recv_chan<int> in,
           goro::send_chan<int> out, goro::recv_chan<quit_signal> quit,
           goro::send_chan<std::string> acks) {
  int sent = 0;
  while (auto v = recv_or_quit(in, quit)) {
    if (!send_or_quit(out, f(*v), quit)) break;
    ++sent;
  }
  acks.send(fmt::format("{} (sent {})", name, sent));
}

// Builds source -> double -> add one, reads `values` values from its end, then asks it to
// quit: with one signal per stage, or (close_quit) by closing the quit channel. Prints the
// values and the stages' acknowledgements, and joins the stages.
void run_chain(int values, bool close_quit) {
  goro::chan<int> numbers(0), doubled(0), results(0);
  goro::chan<quit_signal> quit(0);
  goro::chan<std::string> acks(0);
  std::vector<goro::join_handle<void>> stages;
  stages.push_back(goro::spawn(count_up, numbers, quit, acks));
  stages.push_back(goro::spawn(
      apply, "double", [](int n) { return 2 * n; }, numbers, doubled, quit, acks));
  stages.push_back(goro::spawn(
      apply, "add one", [](int n) { return n + 1; }, doubled, results, quit, acks));

  fmt::print("  read:");
  for (int i = 0; i < values; ++i) fmt::print(" {}", *results.recv());
  fmt::print("\n");

  if (close_quit) {
    quit.close();  // every stage's receive on quit is now ready: one close, all of them quit
    fmt::print("  closed the quit channel\n");
  } else {
    // A signal wakes one receiver only: one per stage. A stage that has quit receives no
    // more, so each signal goes to a stage still running.
    for (std::size_t i = 0; i < stages.size(); ++i) quit.send(quit_signal{});
    fmt::print("  sent {} quit signals, one per stage\n", stages.size());
  }

  std::vector<std::string> heard;  // the acknowledgements, in whatever order they come
  for (std::size_t i = 0; i < stages.size(); ++i) heard.push_back(*acks.recv());
  std::sort(heard.begin(), heard.end());
  fmt::print("  {} acknowledgements: {}\n", heard.size(), fmt::join(heard, ", "));
  for (auto& h : stages) h.join();
}

}  // namespace

int main(int argc, char** argv) try {
  int values = 5;
  samples::flags("quit", usage).integer("--values", values, 1, 1000).parse(argc, argv);

  return goro::run([&] {
    const auto before = goro::live_fibers();

    fmt::print("one stage and its quit channel:\n");
    goro::chan<std::string> c(0), quit(0);
    auto joe = goro::spawn(boring, "Joe", c, quit);
    for (int i = 0; i < values; ++i) fmt::print("  {}\n", *c.recv());
    quit.send("Bye!");                  // Go's quit <- "Bye!"
    std::string answer = *quit.recv();  // Go's <-quit: Joe has cleaned up
    fmt::print("  main says \"Bye!\", Joe says \"{}\"\n", answer);
    fmt::print("  Joe sent {} messages, main read {}\n", joe.join(), values);

    fmt::print("a chain source -> double -> add one, one quit channel for all three:\n");
    run_chain(values, false);
    fmt::print("the same chain, told to quit by closing the quit channel:\n");
    run_chain(values, true);

    fmt::print("fibers left running: {}\n", goro::live_fibers() - before);
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("quit", e);
}
