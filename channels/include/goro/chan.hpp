// goro::chan<T>: Go's channel. A cheap copyable handle to a shared channel; copies refer to
// the same channel. Unbuffered (capacity 0: a send waits for a receiver) or buffered.
// Move-only T works. A default-constructed chan is the nil channel: its operations block
// forever and a select case on it is never ready.
// Safe from any fiber or thread: a blocking operation parks a fiber, blocks a thread.
// Memory ordering: what a sender did before send() is visible to the receiver after recv().
// Misuse: send on a closed channel and close of a closed or nil channel throw
// goro::closed_channel_error.
//
//   goro::chan<int> c;                 // Go: c := make(chan int)
//   c = goro::chan<int>(0);
//   goro::go([c] { c.send(42); c.close(); });
//   for (int v : c) fmt::print("{}\n", v);   // until closed and drained
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

#include <goro/detail/chan_core.hpp>
#include <goro/error.hpp>

namespace goro {

// What try_recv() found (Go's `select { case v, ok := <-c: ... default: ... }`): a value, no
// value ready yet (the default case), or the channel closed and drained (ok == false).
enum class recv_state { received, not_ready, closed };

// try_recv()'s result: a value and how the receive went. Reads like the std::optional<T>
// it replaces (if (r) use(*r);), and tells the two ways of having no value apart:
//   auto r = c.try_recv();
//   if (r) use(*r); else if (r.closed()) done(); else later();
template <class T>
class recv_result {
 public:
  recv_result(recv_state s, std::optional<T> v) : state_(s), v_(std::move(v)) {}
  recv_state state() const noexcept { return state_; }
  bool closed() const noexcept { return state_ == recv_state::closed; }
  bool not_ready() const noexcept { return state_ == recv_state::not_ready; }
  bool has_value() const noexcept { return v_.has_value(); }
  explicit operator bool() const noexcept { return v_.has_value(); }
  T& operator*() & { return *v_; }
  T&& operator*() && { return *std::move(v_); }
  const T& operator*() const& { return *v_; }
  T* operator->() { return &*v_; }
  const T* operator->() const { return &*v_; }
  T& value() & { return v_.value(); }  // std::bad_optional_access without a value
  T&& value() && { return std::move(v_).value(); }
  template <class U>
  T value_or(U&& u) && {
    return std::move(v_).value_or(std::forward<U>(u));
  }
  // The value alone (empty unless received), as the std::optional<T> of recv().
  std::optional<T> take() && { return std::move(v_); }
  // Compares as that optional: == std::nullopt when there is no value, == v when it is v.
  friend bool operator==(const recv_result& r, std::nullopt_t) noexcept { return !r.v_; }
  template <class U>
  requires(!std::is_same_v<std::remove_cvref_t<U>, std::nullopt_t>) friend bool operator==(
      const recv_result& r, const U& v) {
    return r.v_ && *r.v_ == v;
  }

 private:
  recv_state state_;
  std::optional<T> v_;
};

template <class T>
class chan {
 public:
  using value_type = T;

  chan() noexcept = default;  // the nil channel
  explicit chan(std::size_t capacity)
      : c_(detail::chan_make(capacity, &detail::elem_ops_for<T>, alignof(T))) {}
  chan(const chan& o) noexcept : c_(o.c_) { detail::chan_retain(c_); }
  chan(chan&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  chan& operator=(chan o) noexcept {
    std::swap(c_, o.c_);
    return *this;
  }
  ~chan() { detail::chan_release(c_); }

  // Blocks until a receiver takes v or the buffer has room. A scheduling point.
  void send(T v) const { detail::chan_send(c_, &v, true); }
  // The next value; empty once the channel is closed and drained. A scheduling point.
  std::optional<T> recv() const {
    std::optional<T> out;
    detail::chan_recv(c_, &out, true);
    return out;
  }
  // Sends only if that needs no waiting; on false, v is left untouched.
  bool try_send(T& v) const { return detail::chan_send(c_, &v, false); }
  bool try_send(T&& v) const { return detail::chan_send(c_, &v, false); }
  // A value if one is ready now, without waiting; else whether none is ready yet or the
  // channel is closed and drained (recv_result::closed()).
  recv_result<T> try_recv() const {
    std::optional<T> out;
    const detail::recv_status st = detail::chan_recv(c_, &out, false);
    return {st == detail::recv_status::received ? recv_state::received
            : st == detail::recv_status::closed ? recv_state::closed
                                                : recv_state::not_ready,
            std::move(out)};
  }
  // Closes the channel: receivers drain the buffer, then get empty; blocked and later
  // senders throw goro::closed_channel_error.
  void close() const { detail::chan_close(c_); }

  std::size_t size() const noexcept { return detail::chan_size(c_); }  // buffered values
  std::size_t capacity() const noexcept { return c_ ? c_->cap : 0; }
  explicit operator bool() const noexcept { return c_ != nullptr; }  // not nil
  friend bool operator==(const chan& a, const chan& b) noexcept { return a.c_ == b.c_; }

  // Range-for over received values until the channel is closed and drained.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const chan* c) : c_(c) { ++*this; }
    T& operator*() { return *v_; }
    iterator& operator++() {
      v_ = c_->recv();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return !it.v_; }

   private:
    const chan* c_ = nullptr;
    std::optional<T> v_;
  };
  iterator begin() const { return iterator(this); }
  std::default_sentinel_t end() const { return {}; }

  detail::chan_core* core() const noexcept { return c_; }  // for select

 private:
  detail::chan_core* c_ = nullptr;
};

// Direction-restricted views for function signatures (Go's chan<- T and <-chan T).
template <class T>
class send_chan {
 public:
  send_chan(chan<T> c) noexcept : c_(std::move(c)) {}  // implicit, as in Go
  void send(T v) const { c_.send(std::move(v)); }
  bool try_send(T& v) const { return c_.try_send(v); }
  bool try_send(T&& v) const { return c_.try_send(std::move(v)); }
  void close() const { c_.close(); }
  const chan<T>& underlying() const noexcept { return c_; }

 private:
  chan<T> c_;
};

template <class T>
class recv_chan {
 public:
  recv_chan(chan<T> c) noexcept : c_(std::move(c)) {}  // implicit, as in Go
  std::optional<T> recv() const { return c_.recv(); }
  recv_result<T> try_recv() const { return c_.try_recv(); }
  auto begin() const { return c_.begin(); }
  auto end() const { return c_.end(); }
  std::size_t size() const noexcept { return c_.size(); }
  const chan<T>& underlying() const noexcept { return c_; }

 private:
  chan<T> c_;
};

}  // namespace goro
