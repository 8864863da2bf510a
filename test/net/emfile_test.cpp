// accept() when the process is out of descriptors (EMFILE): it must say so once on
// stderr, back off instead of spinning or failing, and accept the waiting connection once
// descriptors are free again. Runs in a child process: it lowers RLIMIT_NOFILE and fills
// the descriptor table.
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gmock/gmock.h>

#include <goro/net/tcp.hpp>

#include "goro_test.hpp"

namespace {

namespace net = goro::net;

void accept_survives_emfile() {
  goro::start({.procs = 2});
  // Start the runtime's threads now: while the table is full nothing may need a new
  // descriptor but accept (a sanitizer's checks at a thread's creation use pipes).
  {
    goro::wait_group wg;
    wg.add(4);
    for (int i = 0; i < 4; ++i)
      goro::go([&wg] {
        for (int k = 0; k < 100; ++k) goro::this_fiber::yield();
        wg.done();
      });
    wg.wait();
  }
  auto ln = net::listen("127.0.0.1:0");
  auto client = net::dial(ln.local_address().to_string());  // waits in the backlog
  // stderr goes to a pipe for a moment, so that this process sees the accept's message.
  int pipefd[2];
  if (::pipe(pipefd) != 0) std::_Exit(10);
  const int real_stderr = ::dup(2);
  ::dup2(pipefd[1], 2);
  rlimit rl{256, 256};
  if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) std::_Exit(11);
  std::vector<int> fillers;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fillers.push_back(fd);
  // The table is full: accept4 fails with EMFILE, and accept() backs off.
  auto acceptor = goro::spawn([&ln] { return ln.accept(); });
  std::string said;
  char c;
  while (::read(pipefd[0], &c, 1) == 1 && c != '\n') said += c;  // its one message
  for (int fd : fillers) ::close(fd);  // descriptors again: the next retry succeeds
  auto server_side = acceptor.join();
  ::dup2(real_stderr, 2);
  client.write_all("x");
  char got = 0;
  server_side.read(&got, 1);
  std::fprintf(stderr, "[%s] then accepted, read '%c'\n", said.c_str(), got);
  goro::shutdown();
  std::exit(got == 'x' ? 0 : 12);
}

TEST(EmfileTest, AcceptBacksOffSaysSoOnceAndRecovers) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(accept_survives_emfile(), ::testing::ExitedWithCode(0),
              "\\[goro::net: accept 127\\.0\\.0\\.1:[0-9]+: Too many open files; retrying with "
              "backoff \\(reported once\\)\\] then accepted, read 'x'");
}

}  // namespace
