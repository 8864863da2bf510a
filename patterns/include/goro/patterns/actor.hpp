// goro::patterns::actor: state owned by one fiber and changed only by the messages sent to
// its mailbox (the actor model; Go's "share memory by communicating"). tell() queues a
// function to run on the state and returns at once; ask() queues one and waits for its
// result. Messages run one at a time, in the order they were sent, so the state needs no
// lock. The actor's fiber ends when the actor object is destroyed, after the messages
// already queued.
// Problem: shared mutable state (a cache, an account, a router) used by many fibers, with
// no lock to forget and no data race possible.
//
//   goro::patterns::actor<std::map<std::string, int>> counts;
//   counts.tell([](auto& m) { ++m["apples"]; });
//   int n = counts.ask([](auto& m) { return m["apples"]; });   // 1
#pragma once

#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>

#include <goro/chan.hpp>
#include <goro/spawn.hpp>

namespace goro::patterns {

template <class State>
class actor {
 public:
  explicit actor(State initial = State{}, std::size_t mailbox = 64)
      : mailbox_(mailbox),
        loop_(goro::spawn({.name = "actor"}, [box = mailbox_, s = std::move(initial)]() mutable {
          for (auto& msg : box) msg(s);
        })) {}
  actor(const actor&) = delete;
  actor& operator=(const actor&) = delete;
  ~actor() {
    mailbox_.close();  // the loop runs what is queued, then ends
    loop_.join();
  }

  // Queues fn(state); waits only if the mailbox is full.
  template <class Fn>
  void tell(Fn fn) {
    mailbox_.send(std::function<void(State&)>(std::move(fn)));
  }
  // Runs fn(state) on the actor's fiber and returns its result (a scheduling point).
  template <class Fn, class R = std::invoke_result_t<Fn&, State&>>
  R ask(Fn fn) {
    if constexpr (std::is_void_v<R>) {
      chan<bool> done(1);
      tell([fn = std::move(fn), done](State& s) mutable {
        fn(s);
        done.send(true);
      });
      done.recv();
    } else {
      chan<R> reply(1);
      tell([fn = std::move(fn), reply](State& s) mutable { reply.send(fn(s)); });
      return *reply.recv();
    }
  }

 private:
  chan<std::function<void(State&)>> mailbox_;
  goro::join_handle<void> loop_;
};

}  // namespace goro::patterns
