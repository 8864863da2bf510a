// goro::scope (see goro/scope.hpp).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

#include <goro/scope.hpp>

namespace goro {

namespace {
std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "a non-std exception";
  }
}
}  // namespace

scope::scope(made, std::pair<context, cancel_func> ctx_and_cancel, std::size_t limit)
    : ctx_(std::move(ctx_and_cancel.first)),
      cancel_(std::move(ctx_and_cancel.second)),
      uncaught_(std::uncaught_exceptions()),
      limit_(limit),
      slots_(static_cast<std::int64_t>(limit ? limit : 1)) {}

scope::~scope() {
  running_.wait();  // never leave a fiber running on borrowed data
  cancel_("scope ended");
  std::lock_guard g(mu_);
  if (first_ && !first_seen_ && std::uncaught_exceptions() <= uncaught_) {
    std::fprintf(stderr, "goro: fatal: a scope ended with an exception nobody waited for: %s\n",
                 describe(first_).c_str());
    std::abort();
  }
}

void scope::fail(std::exception_ptr e) {
  {
    std::lock_guard g(mu_);
    if (first_) {
      others_.push_back(std::move(e));
      return;
    }
    first_ = e;
  }
  cancel_("scope canceled: a fiber failed: " + describe(e));
}

void scope::wait() {
  running_.wait();
  std::exception_ptr e;
  {
    std::lock_guard g(mu_);
    if (!first_seen_) e = first_;
    first_seen_ = true;
  }
  if (e) std::rethrow_exception(e);
}

std::vector<std::exception_ptr> scope::other_errors() const {
  std::lock_guard g(mu_);
  return others_;
}

}  // namespace goro
