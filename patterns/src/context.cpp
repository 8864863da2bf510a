// goro::context (see goro/context.hpp).
// CX1: a cancelable node's err, cause and children are guarded by its lock; `done` is closed
//      exactly once, by the cancel that sets err.
// CX2: children are weak: a child that is dropped without being cancelled costs its parent
//      an expired entry, pruned at the next registration. Cancellation walks the tree with a
//      work list, not recursion: a chain of thousands of contexts fits any fiber's stack.
// CX3: every node keeps its parent alive (shared_ptr), so `canceler` (the nearest cancelable
//      node at or above it) outlives it.
#include <algorithm>
#include <mutex>
#include <vector>

#include <goro/context.hpp>
#include <goro/select.hpp>
#include <goro/time.hpp>

namespace goro {

namespace detail {

struct ctx_node {
  std::shared_ptr<ctx_node> parent;  // CX3
  ctx_node* canceler = nullptr;      // nearest cancelable node at or above; null: background
  // A value node:
  const void* key = nullptr;
  std::shared_ptr<const void> value;
  // A cancelable node:
  std::mutex lock;                                                // CX1
  chan<std::monostate> done;                                      // CX1
  std::error_code err;                                            // CX1
  std::string cause;                                              // CX1
  std::vector<std::weak_ptr<ctx_node>> children;                  // CX1, CX2
  std::optional<std::chrono::steady_clock::time_point> deadline;  // fixed at creation
  std::unique_ptr<goro::timer> timer;    // the deadline's; stopped by ~ctx_node
  std::optional<std::stop_source> stop;  // CX1; made by the first stop_token()

  // Ends this node and every descendant (CX2: iteratively).
  static void cancel(const std::shared_ptr<ctx_node>& root, std::error_code e,
                     const std::string& why) {
    std::vector<std::shared_ptr<ctx_node>> work{root};
    while (!work.empty()) {
      std::shared_ptr<ctx_node> n = std::move(work.back());
      work.pop_back();
      std::vector<std::weak_ptr<ctx_node>> kids;
      std::optional<std::stop_source> stop;
      {
        std::lock_guard g(n->lock);
        if (n->err) continue;  // ended already, with its descendants
        n->err = e;
        n->cause = why;
        kids.swap(n->children);
        stop = n->stop;
      }
      n->done.close();  // CX1: once, after err is visible to err()'s readers
      // Outside the lock: the stop callbacks (waits being interrupted) run right here.
      if (stop) stop->request_stop();
      for (auto& w : kids)
        if (auto k = w.lock()) work.push_back(std::move(k));
    }
  }

  // Unlinks this cancelable node from its ancestor's children (its work is finished).
  void unlink() {
    ctx_node* anc = parent ? parent->canceler : nullptr;
    if (!anc) return;
    std::lock_guard g(anc->lock);
    std::erase_if(anc->children, [this](const std::weak_ptr<ctx_node>& w) {
      auto k = w.lock();
      return !k || k.get() == this;
    });
  }
};

}  // namespace detail

namespace {

class context_category_impl : public std::error_category {
 public:
  const char* name() const noexcept override { return "goro.context"; }
  std::string message(int e) const override {
    switch (static_cast<context_error>(e)) {
      case context_error::canceled:
        return "context canceled";
      case context_error::deadline_exceeded:
        return "context deadline exceeded";
    }
    return "unknown context error";
  }
};

std::shared_ptr<detail::ctx_node> new_cancelable(const std::shared_ptr<detail::ctx_node>& parent) {
  auto n = std::make_shared<detail::ctx_node>();
  n->parent = parent;
  n->canceler = n.get();
  n->done = chan<std::monostate>(0);
  detail::ctx_node* anc = parent ? parent->canceler : nullptr;
  if (anc) {
    n->deadline = anc->deadline;
    std::unique_lock g(anc->lock);
    if (anc->err) {  // the parent has ended: so has the child, for the same reason
      auto e = anc->err;
      auto why = anc->cause;
      g.unlock();
      detail::ctx_node::cancel(n, e, why);
    } else {
      std::erase_if(anc->children, [](const std::weak_ptr<detail::ctx_node>& w) {
        return w.expired();  // CX2
      });
      anc->children.push_back(n);
    }
  }
  return n;
}

}  // namespace

const std::error_category& context_category() noexcept {
  static const context_category_impl c;
  return c;
}

recv_chan<std::monostate> context::done() const {
  if (!n_ || !n_->canceler) return chan<std::monostate>();  // nil: never ready
  return n_->canceler->done;
}

std::error_code context::err() const {
  if (!n_ || !n_->canceler) return {};
  std::lock_guard g(n_->canceler->lock);
  return n_->canceler->err;
}

std::string context::cause() const {
  if (!n_ || !n_->canceler) return {};
  std::lock_guard g(n_->canceler->lock);
  return n_->canceler->cause;
}

std::stop_token context::stop_token() const {
  if (!n_ || !n_->canceler) return {};  // background: never stopped
  detail::ctx_node* c = n_->canceler;
  std::stop_source src;
  {
    std::lock_guard g(c->lock);
    if (!c->stop) c->stop.emplace();
    src = *c->stop;
    if (!c->err) return src.get_token();
  }
  src.request_stop();  // ended before the first token was asked for (idempotent)
  return src.get_token();
}

std::optional<std::chrono::steady_clock::time_point> context::deadline() const {
  if (!n_ || !n_->canceler) return std::nullopt;
  return n_->canceler->deadline;
}

const void* context::find_value(const void* key) const {
  for (const detail::ctx_node* n = n_.get(); n; n = n->parent.get())
    if (n->key == key) return n->value.get();
  return nullptr;
}

context context::with_value_erased(const context& parent, const void* key,
                                   std::shared_ptr<const void> value) {
  auto n = std::make_shared<detail::ctx_node>();
  n->parent = parent.n_;
  n->canceler = parent.n_ ? parent.n_->canceler : nullptr;
  n->key = key;
  n->value = std::move(value);
  return context(std::move(n));
}

void cancel_func::operator()(std::string cause) const {
  if (!n_) return;
  detail::ctx_node::cancel(n_, make_error_code(context_error::canceled), cause);
  n_->unlink();
  if (n_->timer) n_->timer->stop();
}

std::pair<context, cancel_func> with_cancel(const context& parent) {
  auto n = new_cancelable(parent.n_);
  return {context(n), cancel_func(n)};
}

std::pair<context, cancel_func> with_deadline(const context& parent,
                                              std::chrono::steady_clock::time_point deadline) {
  auto n = new_cancelable(parent.n_);
  if (n->deadline && *n->deadline <= deadline) return {context(n), cancel_func(n)};  // earlier
  n->deadline = deadline;
  const auto now = goro::now();
  if (deadline <= now) {
    detail::ctx_node::cancel(n, make_error_code(context_error::deadline_exceeded),
                             "context deadline exceeded");
  } else {
    std::weak_ptr<detail::ctx_node> w = n;
    n->timer = std::make_unique<goro::timer>(deadline - now, [w] {
      if (auto s = w.lock())
        detail::ctx_node::cancel(s, make_error_code(context_error::deadline_exceeded),
                                 "context deadline exceeded");
    });
  }
  return {context(n), cancel_func(n)};
}

std::error_code wait(const context& ctx, wait_group& wg) {
  if (wg.wait(ctx.stop_token())) return {};
  return ctx.err();
}

std::error_code sleep_for(const context& ctx, std::chrono::nanoseconds d) {
  int r = goro::select(goro::recv(ctx.done()), goro::timeout(d));
  return r == 0 ? ctx.err() : std::error_code{};
}

}  // namespace goro
