// Channels (Go's chan.go) over the type-erased chan_core: their lifetime, send, receive and
// close. Invariants H1-H4 are in chan_core.hpp; select is in select.cpp.
#include <algorithm>
#include <new>

#include <goro/detail/chan_core.hpp>
#include <goro/error.hpp>

#include "chan_locked.hpp"

namespace goro::detail {

// --- lifetime ---

chan_core* chan_make(std::size_t capacity, const elem_ops* ops, std::size_t align) {
  // One allocation: the core, then the ring buffer.
  align = std::max(align, alignof(chan_core));
  std::size_t header = (sizeof(chan_core) + align - 1) / align * align;
  void* mem = ::operator new (header + capacity * ops->size, std::align_val_t{align});
  return ::new (mem) chan_core(capacity, ops, static_cast<char*>(mem) + header, align);
}

void chan_retain(chan_core* c) noexcept {
  if (c) c->refs.fetch_add(1, std::memory_order_relaxed);  // a handle already owns one
}

void chan_release(chan_core* c) noexcept {
  // acq_rel: the last owner sees every element the others left in the buffer.
  if (!c || c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (c->on_last_release) c->on_last_release(c->on_last_release_arg);
  for (std::size_t i = 0; i < c->count; ++i) c->ops->destroy(c->slot(i));
  std::size_t align = c->alloc_align;
  c->~chan_core();
  ::operator delete (static_cast<void*>(c), std::align_val_t{align});
}

namespace {
[[noreturn]] void throw_closed(const char* what) { throw closed_channel_error(what); }
}  // namespace

// --- send, receive, close ---

bool chan_send(chan_core* c, void* elem, bool block) {
  if (!c) {
    if (!block) return false;
    block_forever(wait_reason::chan_send);
  }
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    throw_closed("goro: send on closed channel");
  }
  chan_waiter* wake = nullptr;
  if (try_send_locked(c, elem, &wake)) {
    c->lock.unlock();
    if (wake) wake->wake();  // W2: after the unlock
    return true;
  }
  if (!block) {
    c->lock.unlock();
    return false;
  }
  chan_waiter me;
  me.elem = elem;
  c->sendq.push(&me);
  me.wait(c->lock, wait_reason::chan_send);
  if (!me.ok) throw_closed("goro: send on closed channel");  // closed while we waited
  return true;
}

recv_status chan_recv(chan_core* c, void* out, bool block) {
  if (!c) {
    if (!block) return recv_status::would_block;
    block_forever(wait_reason::chan_receive);
  }
  c->lock.lock();
  chan_waiter* wake = nullptr;
  recv_status st = try_recv_locked(c, out, &wake);
  if (st != recv_status::would_block || !block) {
    c->lock.unlock();
    if (wake) wake->wake();
    return st;
  }
  chan_waiter me;
  me.elem = out;
  c->recvq.push(&me);
  me.wait(c->lock, wait_reason::chan_receive);
  return me.ok ? recv_status::received : recv_status::closed;
}

void chan_close(chan_core* c) {
  if (!c) throw closed_channel_error("goro: close of nil channel");
  c->lock.lock();
  if (c->closed) {
    c->lock.unlock();
    throw closed_channel_error("goro: close of closed channel");
  }
  c->closed = true;
  // Every waiter learns of the close: receivers get "closed", senders throw.
  waiter* all = nullptr;
  for (wait_queue* q : {&c->recvq, &c->sendq}) {
    while (chan_waiter* w = q->take()) {
      w->ok = false;
      w->next = all;  // unlinked: the link is free to chain them for wake_all
      all = w;
    }
  }
  c->lock.unlock();
  wake_all(all);  // W2
}

std::size_t chan_size(chan_core* c) noexcept {
  if (!c) return 0;
  c->lock.lock();
  std::size_t n = c->count;
  c->lock.unlock();
  return n;
}

}  // namespace goro::detail
