// libFuzzer target: arbitrary bytes as the answer of a server to goro's HTTP client, over
// loopback. A server fiber reads each request's head and writes the fuzz input as the
// response, then closes. Whatever it writes, the client must return a response or throw a
// std::exception, within its timeout, without crashing (ASan+UBSan watch) or hanging. A GET,
// then a HEAD on the same client: the second exercises reuse (or its refusal) and the parse
// of a response without a body.
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>

#include <goro/net/http.hpp>
#include <goro/spawn.hpp>

namespace {

using namespace std::chrono_literals;

struct fixture {
  std::mutex mu;
  std::string answer;  // guarded by mu: the current input, written by the fuzzer's thread
  goro::net::listener ln = goro::net::listen("127.0.0.1:0");
  std::string addr = ln.local_address().to_string();
  goro::join_handle<void> serving = goro::spawn([this] {
    for (;;) goro::go([this, s = ln.accept()]() mutable { answer_one(s); });
  });

  void answer_one(goro::net::stream& s) {
    s.set_deadline(std::chrono::steady_clock::now() + 5s);
    try {
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos)
        if (std::size_t n = s.read(buf, sizeof buf))
          head.append(buf, n);
        else
          return;
      std::string bytes;
      {
        std::lock_guard g(mu);
        bytes = answer;
      }
      s.write_all(bytes);
    } catch (const std::exception&) {
      // the client gave up (it refused the answer and closed): allowed
    }
  }
};

fixture& the_server() {
  static fixture* f = new fixture;  // lives as long as the process
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fixture& f = the_server();
  {
    std::lock_guard g(f.mu);
    f.answer.assign(reinterpret_cast<const char*>(data), size);
  }
  goro::http::client c(f.addr, {.timeout = 5s, .max_header_bytes = 4096, .max_body_bytes = 4096});
  goro::http::request head;
  head.method = "HEAD";
  for (const goro::http::request& rq : {goro::http::request{}, head}) {
    try {
      auto rs = c.send(rq);
      if (rs.body.size() > 4096) std::abort();  // past max_body_bytes
      if (rq.method == "HEAD" && !rs.body.empty()) std::abort();
    } catch (const goro::net::timeout_error&) {
      std::abort();  // every input ends with the close: a timeout is a hang
    } catch (const std::exception&) {
      // a response refused with a reason: allowed
    }
  }
  return 0;
}
