// samples/vending.cpp: the vending machine of the talk "Golang design4concurrency": one
// fiber for each truly concurrent activity, communicating over channels. The story:
//
//   As a customer I put sufficient coins into the vending machine and then press the
//   selection button for coke and the robotic arm fetches a coke and dumps it into the
//   pickup tray. The coke is nice and cold because the cooling system keeps the air in the
//   vending machine at 50 degrees.
//
// Not classes with methods called from threads, but activities: handling coins, handling
// selections, cooling the air (forever, on its own clock), fetching the drink, holding it in
// the tray. Each is a fiber that owns its state (the credit, the stock, the temperature...)
// and waits in a select for whatever can happen to it next; nothing is shared, every
// exchange is a message (Go: "communicate using channels, never share memory").
//
//   coins      hears: the coin slot, the refund button (customer); charges (selection)
//   selection  hears: the buttons (customer);  sends: orders to the arm
//   cooling    hears: its thermostat's ticks; "how cold?" (arm)
//   arm        hears: orders;  sends: drinks to the tray
//   tray       hears: drinks (arm); the pickup flap (customer)
//   every answer to the customer comes on one channel: the display
//
// The customers follow a script. Each step waits for the machine's answer on the display
// (or from the tray) before the next, and every fiber prints only before it hands a step
// on, so the log comes out in the same order on every run. At the end the machine is
// powered off: its context is cancelled, each fiber's select sees it, and main joins all
// five, each returning its last word.
//
// --help: vending [--arm-ms N=2] [--tick-ms N=1]
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: vending [--arm-ms N=2] [--tick-ms N=1]\n"
    "  --arm-ms N   milliseconds the robotic arm takes to fetch a drink (0..1000)\n"
    "  --tick-ms N  period of the cooling system's thermostat, in milliseconds (1..1000)\n";

// selection -> coins: take `price` from the credit; the reply says whether it was there.
struct charge {
  int price;
  goro::chan<bool> paid;
};

// The machine's channels: its buttons and slots, and the wires between its parts. All
// unbuffered, as in Go: a send waits for its receiver. std::monostate is Go's struct{}.
struct wiring {
  goro::chan<int> coin_slot{0};                    // customer -> coins
  goro::chan<std::monostate> refund_button{0};     // customer -> coins
  goro::chan<std::string> buttons{0};              // customer -> selection
  goro::chan<std::vector<std::string>> pickup{0};  // tray -> customer, on request
  goro::chan<std::monostate> pickup_flap{0};       // customer -> tray: "I open the flap"
  goro::chan<std::string> display{0};              // the machine's answers -> customer
  goro::chan<charge> charges{0};                   // selection -> coins
  goro::chan<std::string> orders{0};               // selection -> arm
  goro::chan<goro::chan<int>> temperature{0};      // arm -> cooling, a reply channel
  goro::chan<std::string> drop{0};                 // arm -> tray
};

// Coins: holds the credit; takes payments for the selection; refunds; rejects odd coins.
std::string coins(goro::context ctx, wiring w) {
  int credit = 0, cash_box = 0;
  bool on = true;
  auto on_coin = [&](std::optional<int> coin) {
    if (*coin != 5 && *coin != 10 && *coin != 25 && *coin != 100) {
      w.display.send(fmt::format("{}c coin rejected, see the coin return", *coin));
      return;
    }
    credit += *coin;
    w.display.send(fmt::format("credit {}c", credit));
  };
  auto on_charge = [&](std::optional<charge> c) {
    if (credit < c->price) {
      fmt::print("  coins: {}c is not enough for {}c\n", credit, c->price);
      c->paid.send(false);
      return;
    }
    if (credit > c->price)
      fmt::print("  coins: took {}c, {}c change to the coin return\n", c->price, credit - c->price);
    else
      fmt::print("  coins: took {}c\n", c->price);
    cash_box += c->price;
    credit = 0;
    c->paid.send(true);  // printed first: the selection goes on from here
  };
  auto on_refund = [&](std::optional<std::monostate>) {
    w.display.send(credit ? fmt::format("{}c to the coin return", credit)
                          : std::string("no credit to return"));
    credit = 0;
  };
  auto on_power_off = [&](std::optional<std::monostate>) { on = false; };

  while (on) {
    goro::select(goro::recv(w.coin_slot, on_coin), goro::recv(w.charges, on_charge),
                 goro::recv(w.refund_button, on_refund), goro::recv(ctx.done(), on_power_off));
  }
  return fmt::format("coins: {}c in the cash box, {}c credit left", cash_box, credit);
}

// Selection: owns the prices and the stock; has coins charge the customer, then the arm
// fetch the drink.
std::string selection(goro::context ctx, wiring w) {
  struct slot {
    int price, stock;
  };
  std::map<std::string, slot> slots{{"coke", {100, 2}}, {"water", {75, 1}}, {"juice", {125, 1}}};
  int sold = 0;
  bool on = true;
  auto on_button = [&](std::optional<std::string> drink) {
    slot& s = slots.at(*drink);
    if (s.stock == 0) {
      w.display.send(fmt::format("{} sold out", *drink));
      return;
    }
    fmt::print("  selection: {} costs {}c, asks coins\n", *drink, s.price);
    goro::chan<bool> paid(0);  // a reply channel, sent along with the request
    w.charges.send({s.price, paid});
    if (!*paid.recv()) {
      w.display.send(fmt::format("{} costs {}c, insert more coins", *drink, s.price));
      return;
    }
    --s.stock;
    ++sold;
    fmt::print("  selection: asks the arm for a {} ({} left)\n", *drink, s.stock);
    w.orders.send(*drink);  // the arm and the tray answer the customer from here
  };
  auto on_power_off = [&](std::optional<std::monostate>) { on = false; };

  while (on) goro::select(goro::recv(w.buttons, on_button), goro::recv(ctx.done(), on_power_off));
  return fmt::format("selection: {} drinks sold, {} coke, {} water, {} juice left", sold,
                     slots["coke"].stock, slots["water"].stock, slots["juice"].stock);
}

// Cooling: keeps the air at 50F forever, on its own clock: each tick of the thermostat the
// room warms the air a degree and the compressor cools it back. Tells its temperature.
std::string cooling(goro::context ctx, wiring w, std::chrono::milliseconds period) {
  int air = 50, cycles = 0;
  bool on = true;
  goro::ticker thermostat(period);
  auto on_tick = [&](std::optional<goro::time_point>) {
    ++air;  // the room warms it
    if (air > 50) {
      air = 50;  // the compressor cools it back
      ++cycles;
    }
  };
  auto on_asked = [&](std::optional<goro::chan<int>> reply) { reply->send(air); };
  auto on_power_off = [&](std::optional<std::monostate>) { on = false; };

  while (on) {
    goro::select(goro::recv(thermostat.c(), on_tick), goro::recv(w.temperature, on_asked),
                 goro::recv(ctx.done(), on_power_off));
  }
  return fmt::format("cooling: the compressor ran {} cycles, the air is at {}F", cycles, air);
}

// Robotic arm: fetches the drink ordered (it takes a while), checks it is cold, drops it
// into the tray.
std::string arm(goro::context ctx, wiring w, std::chrono::milliseconds fetch_time) {
  int fetched = 0;
  bool on = true;
  auto on_order = [&](std::optional<std::string> drink) {
    goro::this_fiber::sleep_for(fetch_time);  // moving: stands for the arm's work
    goro::chan<int> reply(0);
    w.temperature.send(reply);
    fmt::print("  arm: fetched a {} at {}F, drops it into the tray\n", *drink, *reply.recv());
    ++fetched;
    w.drop.send(*drink);
  };
  auto on_power_off = [&](std::optional<std::monostate>) { on = false; };

  while (on) goro::select(goro::recv(w.orders, on_order), goro::recv(ctx.done(), on_power_off));
  return fmt::format("arm: {} drinks fetched", fetched);
}

// Pickup tray: holds the drinks dropped until the customer takes them.
std::string tray(goro::context ctx, wiring w) {
  std::vector<std::string> held;
  bool on = true;
  auto on_drop = [&](std::optional<std::string> drink) {
    held.push_back(*drink);
    w.display.send(fmt::format("take your {}", *drink));
  };
  auto on_flap = [&](std::optional<std::monostate>) {
    w.pickup.send(std::move(held));
    held.clear();
  };
  auto on_power_off = [&](std::optional<std::monostate>) { on = false; };

  while (on) {
    goro::select(goro::recv(w.drop, on_drop), goro::recv(w.pickup_flap, on_flap),
                 goro::recv(ctx.done(), on_power_off));
  }
  return fmt::format("tray: {} drinks left in it", held.size());
}

// The customer's side of the machine: each action waits for the machine's answer.
class customer {
 public:
  customer(std::string name, wiring w) : name_(std::move(name)), w_(std::move(w)) {}

  void insert(int coin) {
    fmt::print("{} inserts {}c\n", name_, coin);
    w_.coin_slot.send(coin);
    show();
  }
  void press(const std::string& drink) {
    fmt::print("{} presses {}\n", name_, drink);
    w_.buttons.send(drink);
    show();
  }
  void refund() {
    fmt::print("{} presses refund\n", name_);
    w_.refund_button.send(std::monostate{});
    show();
  }
  void pick_up() {
    w_.pickup_flap.send(std::monostate{});
    const std::vector<std::string> drinks = *w_.pickup.recv();
    for (const auto& drink : drinks) fmt::print("{} takes a {}\n", name_, drink);
  }

 private:
  void show() { fmt::print("  display: {}\n", *w_.display.recv()); }
  std::string name_;
  wiring w_;
};

// The script: each customer waits for the machine's answer before the next action.
void customers(const wiring& w) {
  customer ann("Ann", w);  // the story: sufficient coins, a coke
  for (int i = 0; i < 4; ++i) ann.insert(25);
  ann.press("coke");
  ann.pick_up();

  customer bob("Bob", w);  // not enough coins, then enough
  bob.insert(100);
  bob.press("juice");
  bob.insert(25);
  bob.press("juice");
  bob.pick_up();

  customer cleo("Cleo", w);  // a foreign coin; change
  cleo.insert(3);
  cleo.insert(100);
  cleo.insert(10);
  cleo.press("water");
  cleo.pick_up();

  customer dan("Dan", w);  // changes his mind
  dan.insert(25);
  dan.insert(25);
  dan.refund();

  customer eve("Eve", w);  // sold out, then another choice
  eve.insert(100);
  eve.press("water");
  eve.press("coke");
  eve.pick_up();

  customer finn("Finn", w);  // nothing left to buy, nothing to refund
  finn.press("coke");
  finn.refund();
}

}  // namespace

int main(int argc, char** argv) try {
  int arm_ms = 2, tick_ms = 1;
  samples::flags("vending", usage)
      .integer("--arm-ms", arm_ms, 0, 1000)
      .integer("--tick-ms", tick_ms, 1, 1000)
      .parse(argc, argv);

  return goro::run([&] {
    fmt::print(
        "a vending machine: coke 100c (2), water 75c (1), juice 125c (1); "
        "takes 5c, 10c, 25c and 100c\n");
    wiring w;
    auto [ctx, power_off] = goro::with_cancel(goro::context{});
    // One fiber for each truly concurrent activity.
    std::vector<goro::join_handle<std::string>> parts;
    parts.push_back(goro::spawn({.name = "coins"}, coins, ctx, w));
    parts.push_back(goro::spawn({.name = "selection"}, selection, ctx, w));
    parts.push_back(
        goro::spawn({.name = "cooling"}, cooling, ctx, w, std::chrono::milliseconds(tick_ms)));
    parts.push_back(goro::spawn({.name = "arm"}, arm, ctx, w, std::chrono::milliseconds(arm_ms)));
    parts.push_back(goro::spawn({.name = "tray"}, tray, ctx, w));

    customers(w);

    fmt::print("power off\n");
    power_off("power off");  // every part's select sees ctx.done() and returns
    for (auto& part : parts) fmt::print("  {}\n", part.join());
    fmt::print("all {} fibers of the machine stopped\n", parts.size());
  });
} catch (const goro::option_error& e) {
  return samples::option_failed("vending", e);
}
