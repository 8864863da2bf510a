// goro::patterns::event_emitter: named events and the listeners registered for them
// (Node's EventEmitter, on fibers). Each listener runs on its own fiber and reads its own
// mailbox, so the emitter never runs a listener's code, a slow listener holds back only
// emitters that fill its mailbox (emit() then waits: nothing is dropped), each listener gets
// its own copy of every event, in the order emitted, and listeners share no memory with the
// emitter. close() (or the destructor) lets every listener finish what it was sent and joins
// it; the first exception a listener threw is rethrown there (a listener that threw handles
// nothing more, but its mailbox is still drained: emit() never waits on it).
// Problem: decoupling the code that notices something from the code that reacts to it,
// without callbacks running on the caller's stack and without losing track of the receivers.
//
//   goro::patterns::event_emitter<order> shop;
//   shop.on("paid", [](const order& o) { ship(o); });
//   shop.on("paid", [](const order& o) { email_receipt(o); });
//   shop.emit("paid", order{42});   // both listeners get a copy, each on its own fiber
//   shop.close();                   // both have handled order 42
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <goro/chan.hpp>
#include <goro/spawn.hpp>

namespace goro::patterns {

template <class Event>
class event_emitter {
 public:
  using listener_id = std::uint64_t;

  event_emitter() = default;
  event_emitter(const event_emitter&) = delete;
  event_emitter& operator=(const event_emitter&) = delete;
  ~event_emitter() {
    try {
      close();
    } catch (...) {  // a listener's exception with nobody left to see it: not a crash
    }
  }

  // Registers fn for the event `name`, on a new fiber with a mailbox of `mailbox` events.
  // After close(): throws std::logic_error.
  listener_id on(std::string name, std::function<void(const Event&)> fn, std::size_t mailbox = 16) {
    chan<Event> box(mailbox);
    std::lock_guard g(mu_);
    if (closed_) throw std::logic_error("goro::patterns::event_emitter: on() after close()");
    auto loop = goro::spawn({.name = "listener"}, [box, fn = std::move(fn)] {
      // After an exception the listener stops handling but goes on draining its mailbox,
      // so that emitters never wait for a listener that is gone.
      std::exception_ptr failed;
      for (auto& e : box) {
        if (failed) continue;
        try {
          fn(e);
        } catch (...) {
          failed = std::current_exception();
        }
      }
      if (failed) std::rethrow_exception(failed);
    });
    listeners_.push_back({next_, std::move(name), box, std::move(loop)});
    return next_++;
  }

  // Sends a copy of e to every listener of `name`, in the order they registered; waits
  // while a listener's mailbox is full. Returns how many listeners it reached.
  std::size_t emit(const std::string& name, const Event& e) {
    std::vector<chan<Event>> to;
    {
      std::lock_guard g(mu_);  // never waits inside: the sends happen below
      for (auto& l : listeners_)
        if (l.name == name) to.push_back(l.box);
    }
    std::size_t reached = 0;
    for (auto& box : to) {
      try {
        box.send(e);
        ++reached;
      } catch (const closed_channel_error&) {  // removed by off() meanwhile
      }
    }
    return reached;
  }

  // Removes a listener: it handles what it was already sent, then its fiber ends (off()
  // waits for that). Returns false for an unknown id.
  bool off(listener_id id) {
    listener l;
    {
      std::lock_guard g(mu_);
      auto it = std::find_if(listeners_.begin(), listeners_.end(),
                             [id](const listener& x) { return x.id == id; });
      if (it == listeners_.end()) return false;
      l = std::move(*it);
      listeners_.erase(it);
    }
    l.box.close();
    l.loop.join();
    return true;
  }

  std::size_t listener_count(const std::string& name) const {
    std::lock_guard g(mu_);
    std::size_t n = 0;
    for (auto& l : listeners_) n += l.name == name;
    return n;
  }

  // Closes every mailbox and joins every listener once it has handled what it was sent.
  // Rethrows the first exception a listener ended with. Idempotent.
  void close() {
    std::vector<listener> all;
    {
      std::lock_guard g(mu_);
      closed_ = true;
      all.swap(listeners_);
    }
    for (auto& l : all) l.box.close();
    std::exception_ptr first;
    for (auto& l : all) {
      try {
        l.loop.join();
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    if (first) std::rethrow_exception(first);
  }

 private:
  struct listener {
    listener_id id = 0;
    std::string name;
    chan<Event> box;
    join_handle<void> loop;
  };
  mutable std::mutex mu_;  // guards the three below; never held across a wait
  std::vector<listener> listeners_;
  listener_id next_ = 1;
  bool closed_ = false;
};

}  // namespace goro::patterns
