// Test support for samples/redis: child processes (the server, redis-cli, redis-benchmark)
// and a raw loopback client. Every wait is bounded: a child that does not finish in time is
// killed and the test fails with what it waited for, instead of hanging.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

extern char** environ;

namespace redis_test {

using namespace std::chrono_literals;

inline constexpr auto bound = 120s;  // the safety net of every wait; never a speed verdict

// A program found at configure time, or a failure naming the package that provides it.
inline std::string program(const char* path, const char* what) {
  std::string p = path;
  if (p.empty() || p.ends_with("-NOTFOUND") || ::access(p.c_str(), X_OK) != 0) {
    ADD_FAILURE() << what << " not found (" << p
                  << "): install it (cmake/scripts/install-deps.sh installs redis-tools and "
                     "redis-server)";
    return {};
  }
  return p;
}

// A file in the temporary directory, removed with this object.
class temp_file {
 public:
  explicit temp_file(std::string_view content = {}) {
    char name[] = "/tmp/goro-redis-test-XXXXXX";
    fd_ = ::mkstemp(name);
    path_ = name;
    if (fd_ >= 0) {
      std::size_t done = 0;
      while (done < content.size()) {
        auto n = ::write(fd_, content.data() + done, content.size() - done);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
    }
  }
  ~temp_file() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::string& path() const { return path_; }
  std::string read() const {
    std::string out;
    if (FILE* f = std::fopen(path_.c_str(), "rb")) {
      char buf[65536];
      for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
      std::fclose(f);
    }
    return out;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

// Starts argv with stdin from `in` (a path; empty: /dev/null) and stdout, stderr into
// files or a pipe. -1 if it could not start.
inline pid_t start(const std::vector<std::string>& argv, const std::string& in,
                   const std::string& out, const std::string& err, int out_pipe = -1) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in.empty() ? "/dev/null" : in.c_str(), O_RDONLY, 0);
  if (out_pipe >= 0)
    posix_spawn_file_actions_adddup2(&fa, out_pipe, 1);
  else
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_TRUNC, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_TRUNC, 0);
  // The child starts with no signal blocked (the test may block some).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? pid : -1;
}

// Waits for pid to exit; its wait status, or empty (the child killed, a failure added) if it
// ran past `limit`.
inline std::optional<int> wait_exit(pid_t pid, std::string_view what,
                                    std::chrono::seconds limit = bound) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) {
      ADD_FAILURE() << what << ": waitpid failed";
      return std::nullopt;
    }
    if (std::chrono::steady_clock::now() > end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << what << ": still running after " << limit.count() << " s; killed";
      return std::nullopt;
    }
    std::this_thread::sleep_for(2ms);  // polling the child's state, not a synchronisation
  }
}

struct result {
  int status = -1;  // exit status; -1 if it did not exit normally
  std::string out, err;
};

// Runs argv to its end with `input` on its stdin.
inline result run(const std::vector<std::string>& argv, std::string_view input = {}) {
  temp_file in(input), out, err;
  result r;
  const pid_t pid = start(argv, input.empty() ? "" : in.path(), out.path(), err.path());
  if (pid < 0) {
    ADD_FAILURE() << "could not start " << argv[0];
    return r;
  }
  if (auto st = wait_exit(pid, fmt::format("{}", fmt::join(argv, " "))))
    r.status = WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
  r.out = out.read();
  r.err = err.read();
  return r;
}

// Reads a line from fd within `limit`; empty at end of stream or on timeout (failure added).
inline std::optional<std::string> read_line(int fd, std::string& pending, std::string_view what,
                                            std::chrono::seconds limit = bound) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (auto nl = pending.find('\n'); nl != pending.npos) {
      auto line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ADD_FAILURE() << what << ": no line within " << limit.count() << " s (got so far: '"
                    << pending << "')";
      return std::nullopt;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    pending.append(buf, static_cast<std::size_t>(n));
  }
}

// A child whose stdout is read line by line while it runs (the server; a subscriber).
class child {
 public:
  explicit child(const std::vector<std::string>& argv) : name_(argv[0]) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return;
    pid_ = start(argv, "", "", err_.path(), p[1]);
    ::close(p[1]);
    out_ = p[0];
    if (pid_ < 0) ADD_FAILURE() << "could not start " << argv[0];
  }
  ~child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  bool started() const { return pid_ > 0; }
  std::optional<std::string> line(std::chrono::seconds limit = bound) {
    return read_line(out_, pending_, fmt::format("a line from {}", name_), limit);
  }
  // Signals the child, waits for it, returns its exit status (-1: killed or not exited).
  int stop(int sig = SIGTERM) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    auto st = wait_exit(pid_, fmt::format("{} after signal {}", name_, sig));
    pid_ = -1;
    if (!st) return -1;
    return WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
  }
  // What it printed on stdout after the lines read, to its end (call after stop()).
  std::string rest() {
    std::string out = std::move(pending_);
    char buf[4096];
    for (ssize_t n; (n = ::read(out_, buf, sizeof buf)) > 0;)
      out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
  std::string err() const { return err_.read(); }

 private:
  std::string name_;
  pid_t pid_ = -1;
  int out_ = -1;
  std::string pending_;
  temp_file err_;
};

// A raw TCP client on loopback (plain sockets: the bytes exactly as sent).
class raw_client {
 public:
  explicit raw_client(int port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      ADD_FAILURE() << "connect to 127.0.0.1:" << port << " failed";
  }
  // A unix socket (the real redis-server listens on one in the tests).
  explicit raw_client(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    path.copy(a.sun_path, sizeof a.sun_path - 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      ADD_FAILURE() << "connect to " << path << " failed";
  }
  ~raw_client() { ::close(fd_); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  // All of s; false if the peer closed first (a failure unless `may_fail`).
  bool send(std::string_view s, bool may_fail = false) {
    while (!s.empty()) {
      const auto n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        if (!may_fail) ADD_FAILURE() << "send failed";
        return false;
      }
      s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Reads until `n` bytes arrived, the peer closed, or the bound passed (a failure). *reset:
  // the peer's close came as a reset (it closed with our bytes unread).
  std::string read(std::size_t n, bool* closed = nullptr, bool* reset = nullptr) {
    std::string out;
    const auto end = std::chrono::steady_clock::now() + bound;
    if (closed) *closed = false;
    while (out.size() < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        ADD_FAILURE() << "no reply within the bound; got '" << out << "'";
        break;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[65536];
      const auto got = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
      if (got <= 0) {
        if (closed) *closed = true;
        if (reset) *reset = got < 0 && errno == ECONNRESET;
        break;
      }
      out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }
  // Reads to the end of the stream: what arrived, and whether the peer closed.
  std::string read_to_close(bool* closed, bool* reset = nullptr) {
    return read(SIZE_MAX, closed, reset);
  }

 private:
  int fd_ = -1;
};

}  // namespace redis_test
