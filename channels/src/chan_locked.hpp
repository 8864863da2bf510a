// Internal to channels: the steps that chan.cpp's send and receive and select.cpp's cases
// share. The ready-case steps run with the channel's lock held (H1) and return the waiter to
// wake after unlocking (or nullptr). Inline: both files' hot paths run them.
#pragma once

#include <goro/detail/chan_core.hpp>

namespace goro::detail {

// Parks forever: an operation on a nil channel. Only a deadlock report can end it.
[[noreturn]] inline void block_forever(wait_reason reason) {
  for (;;) {
    spinlock never;
    waiter w;
    never.lock();
    w.wait(never, reason);
  }
}

// Send when possible: to a waiting receiver, else into the buffer.
inline bool try_send_locked(chan_core* c, void* elem, chan_waiter** wake) {
  if (chan_waiter* r = c->recvq.take()) {
    c->ops->to_receiver(r->elem, elem);  // H4
    r->ok = true;
    *wake = r;
    return true;
  }
  if (c->count < c->cap) {
    c->ops->to_slot(c->slot(c->count), elem);
    ++c->count;
    return true;
  }
  return false;
}

// Receive when possible: from the buffer (refilled by a waiting sender), else from a
// waiting sender, else "closed" when closed and drained.
inline recv_status try_recv_locked(chan_core* c, void* out, chan_waiter** wake) {
  if (c->count > 0) {
    c->ops->to_receiver(out, c->slot(0));
    c->ops->destroy(c->slot(0));
    if (++c->head == c->cap) c->head = 0;
    --c->count;
    if (chan_waiter* s = c->sendq.take()) {  // its value takes the freed place, in order
      c->ops->to_slot(c->slot(c->count), s->elem);
      ++c->count;
      s->ok = true;
      *wake = s;
    }
    return recv_status::received;
  }
  if (chan_waiter* s = c->sendq.take()) {
    c->ops->to_receiver(out, s->elem);  // H4
    s->ok = true;
    *wake = s;
    return recv_status::received;
  }
  return c->closed ? recv_status::closed : recv_status::would_block;
}

}  // namespace goro::detail
