// SIGQUIT: a dump of every fiber (see signals.hpp).
#include "debug/signals.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include <goro/debug.hpp>

#include "debug/fatal.hpp"
#include "trace/record.hpp"

namespace goro::detail {

namespace {

// Written by sigquit_start/stop (under the runtime's lifecycle lock) and read by the
// handler: the handler is installed after they are set and removed before they change.
int pipe_read = -1;
volatile sig_atomic_t pipe_write = -1;
std::thread reader;
bool exit_after_dump = true;

void on_sigquit(int) {
  const int saved = errno;
  const char q = 'q';
  if (pipe_write >= 0) (void)!::write(pipe_write, &q, 1);
  errno = saved;
}

void read_loop(int fd) {
  for (;;) {
    char c = 0;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == 'x') return;  // 'x': sigquit_stop
    std::fflush(stdout);
    const char head[] = "SIGQUIT: quit\n\n";
    write_stderr(head, sizeof head - 1);
    goro::dump(stderr);               // and the trace file, if there is one
    if (exit_after_dump) ::_exit(2);  // as Go
  }
}

}  // namespace

void sigquit_start(sigquit_action action) {
  if (action == sigquit_action::none || reader.joinable()) return;
  struct sigaction old {};
  if (::sigaction(SIGQUIT, nullptr, &old) != 0 || old.sa_handler != SIG_DFL ||
      (old.sa_flags & SA_SIGINFO))
    return;  // the program handles SIGQUIT itself
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  pipe_read = fds[0];
  pipe_write = fds[1];
  exit_after_dump = action == sigquit_action::dump_and_exit;
  reader = std::thread(read_loop, pipe_read);
  struct sigaction sa {};
  sa.sa_handler = on_sigquit;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGQUIT, &sa, nullptr);
}

void sigquit_stop() {
  if (!reader.joinable()) return;
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGQUIT, &dfl, nullptr);
  const char x = 'x';
  (void)!::write(pipe_write, &x, 1);
  reader.join();
  ::close(pipe_write);
  ::close(pipe_read);
  pipe_write = -1;
  pipe_read = -1;
}

}  // namespace goro::detail
