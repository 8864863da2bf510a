// 10,000 concurrent TCP connections served by one process, each on its own fiber, on two
// processors. The clients run in a child process (its own descriptor table: both ends in
// one process would need 20,000 descriptors, this machine's hard limit).
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>

#include <goro/net/tcp.hpp>

#include "goro_test.hpp"

namespace {

namespace net = goro::net;
constexpr int n = 10'000;

// The client process: n connections open at once, then each echoes its number.
[[noreturn]] void clients(const std::string& addr) {
  int ok_count = 0;
  {
    goro::start({.procs = 2});
    std::vector<net::stream> cs(n);
    std::atomic<int> ok{0};
    goro::wait_group connected, done;
    connected.add(n);
    done.add(n);
    for (int i = 0; i < n; ++i) {
      goro::go([&, i] {
        cs[i] = net::dial(addr);
        connected.done();
        connected.wait();  // every connection is open before any is used
        const std::string msg = std::to_string(i);
        cs[i].write_all(msg);
        cs[i].shutdown_write();
        std::string got(msg.size(), '\0');
        cs[i].read_full(got.data(), got.size());
        if (got == msg) ok.fetch_add(1);
        cs[i].close();
        done.done();
      });
    }
    done.wait();
    ok_count = ok.load();
    goro::shutdown();
  }
  std::_Exit(ok_count == n ? 0 : 1);
}

TEST(ManyConnectionsTest, TenThousandAtOnceInOneServerProcess) {
  // Fork before either process touches the runtime: each gets its own poller and threads.
  int port_pipe[2];
  ASSERT_EQ(::pipe(port_pipe), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char buf[64] = {};
    ssize_t got = ::read(port_pipe[0], buf, sizeof buf - 1);
    if (got <= 0) std::_Exit(2);
    clients(buf);
  }
  goro::start({.procs = 2});
  auto ln = net::listen("127.0.0.1:0");
  const std::string addr = ln.local_address().to_string();
  ASSERT_EQ(::write(port_pipe[1], addr.c_str(), addr.size()), static_cast<ssize_t>(addr.size()));
  std::atomic<int> served{0}, open_now{0}, most_open{0};
  {
    goro::wait_group wg, arrived;
    arrived.add(n);
    for (int i = 0; i < n; ++i) {
      auto s = std::make_shared<net::stream>(ln.accept());
      wg.add(1);
      goro::go([s, &wg, &arrived, &served, &open_now, &most_open] {
        int now = open_now.fetch_add(1) + 1;
        for (int m = most_open.load(); now > m && !most_open.compare_exchange_weak(m, now);) {
        }
        // Every connection is held open until all n are (a client that got its echo closes,
        // and the accept loop may still be behind): so all n are open at once.
        arrived.done();
        arrived.wait();
        char buf[64];
        while (std::size_t k = s->read(buf, sizeof buf)) s->write_all(buf, k);
        open_now.fetch_sub(1);
        served.fetch_add(1);
        wg.done();
      });
    }
    wg.wait();
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "client process status " << status;
  EXPECT_EQ(served.load(), n);
  EXPECT_EQ(most_open.load(), n) << "connections open at the same time";
  ln.close();
  goro::shutdown();
  EXPECT_EQ(goro::live_fibers(), 0);
}

}  // namespace
