// perf/peers/threads/tcp_server.hpp: the thread-per-connection TCP server of the thread
// peers (echo, http): listens on 127.0.0.1 (an ephemeral port, backlog 4096); an acceptor
// thread accepts each connection (TCP_NODELAY, as Go and goro set it) and starts a
// std::thread running `serve(fd)` over the blocking socket, then closes the socket when
// serve returns. stop() shuts the listening socket down (ending the acceptor's accept) and
// joins every thread: the connections must have been closed by their clients by then.
#pragma once
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

namespace perf {

// Writes all n bytes (several writes if the kernel takes fewer); false on an error.
inline bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

class thread_server {
 public:
  explicit thread_server(std::function<void(int)> serve) : serve_(std::move(serve)) {
    lfd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (lfd_ < 0 || bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        listen(lfd_, 4096) != 0 || getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      std::perror("listen 127.0.0.1:0");
      std::exit(1);
    }
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  int port() const { return port_; }

  void stop() {
    shutdown(lfd_, SHUT_RDWR);  // accept() fails from now on: the acceptor ends
    acceptor_.join();
    close(lfd_);
    std::lock_guard g(mu_);
    for (auto& t : conns_) t.join();
  }

 private:
  void accept_loop() {
    for (;;) {
      int fd = accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        return;  // the listening socket was shut down
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard g(mu_);
      conns_.emplace_back([this, fd] {
        serve_(fd);
        close(fd);
      });
    }
  }

  std::function<void(int)> serve_;
  int lfd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> conns_;
};

}  // namespace perf
