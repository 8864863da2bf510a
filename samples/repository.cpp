// samples/repository.cpp: an in-memory repository owned by one fiber and served over
// request/response channels (from the talk "Golang design4concurrency"). The Go original:
//
//   type getRequest struct {                     func (r *InMemoryRepository) dispatch() {
//       Id       int                                 storage := map[int]string{}
//       Response chan getResponse                    for {
//   }                                                    select {
//                                                        case put := <-r.puts:
//   func (r *InMemoryRepository) Get(id int)                 storage[put.Id] = put.Value
//           (string, bool) {                             case get := <-r.gets:
//       getResponses := make(chan getResponse)               value, found := storage[get.Id]
//       r.gets <- getRequest{                                get.Response <- getResponse{
//           Id:       id,                                        Value: value,
//           Response: getResponses,                              Found: found,
//       }                                                    }
//       response := <-getResponses                       }
//       return response.Value, response.Found        }
//   }                                            }
//
// One fiber, the dispatcher, owns the storage; no other fiber can reach it, so it needs no
// lock. Each operation is a request sent over its own channel, carrying the channel on which
// the dispatcher sends the response. The dispatcher waits on all request channels at once
// with select, and serves the requests one at a time, in the order they come.
// Added to the original: delete and list requests, a response to put (was the id new?), and
// a quit channel: the Go dispatcher loops forever, this one returns when quit is closed.
//
// First the Go original's main, then several clients at once, each checking what it reads;
// at the end the repository's list is checked against what the clients must have left.
//
// --help: repository [--clients N=4] [--records N=25]
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/core.h>

#include <goro/goro.hpp>

#include "flags.hpp"

namespace {

constexpr std::string_view usage =
    "usage: repository [--clients N=4] [--records N=25]\n"
    "  --clients N  client fibers using the repository at once (1..1000)\n"
    "  --records N  records each client puts, reads, deletes and updates (1..10000)\n";

struct args {
  int clients = 4;
  int records = 25;
};

args parse_or_exit(int argc, char** argv) {
  args a;
  samples::flags("repository", usage)
      .integer("--clients", a.clients, 1, 1000)
      .integer("--records", a.records, 1, 10'000)
      .parse(argc, argv);
  return a;
}

using records = std::map<int, std::string>;  // Go's map[int]string, kept sorted for list()

// The requests: each carries the channel its response comes back on.
struct get_response {
  std::string value;
  bool found = false;
};
struct get_request {
  int id;
  goro::chan<get_response> response;
};
struct put_request {
  int id;
  std::string value;
  goro::chan<bool> response;  // true: the id was new; false: its value was replaced
};
struct delete_request {
  int id;
  goro::chan<bool> response;  // true: the id was there
};
struct list_request {
  goro::chan<records> response;  // a copy of every record
};

// Go's InMemoryRepository. Any fiber or thread may call get, put, remove and list at once;
// close() (or the destructor) once, after them. Not copyable or movable: the dispatcher
// fiber keeps `this`.
class in_memory_repository {
 public:
  in_memory_repository() : dispatcher_(goro::spawn([this] { dispatch(); })) {}
  in_memory_repository(const in_memory_repository&) = delete;
  in_memory_repository& operator=(const in_memory_repository&) = delete;
  ~in_memory_repository() { close(); }

  // Each method makes a response channel of its own (unbuffered, as in Go), sends the
  // request, and waits for the response. While the dispatcher serves others, it waits.
  get_response get(int id) const {
    goro::chan<get_response> response(0);
    gets_.send({id, response});
    return *response.recv();
  }
  bool put(int id, std::string value) {
    goro::chan<bool> response(0);
    puts_.send({id, std::move(value), response});
    return *response.recv();
  }
  bool remove(int id) {  // Go's Delete (delete is taken in C++)
    goro::chan<bool> response(0);
    deletes_.send({id, response});
    return *response.recv();
  }
  records list() const {
    goro::chan<records> response(0);
    lists_.send({response});
    return *response.recv();
  }
  // Tells the dispatcher to return, and waits until it has. Later requests would block.
  void close() {
    if (!dispatcher_.joinable()) return;
    quit_.close();
    dispatcher_.join();
  }

 private:
  // The dispatcher: the only code that touches storage. Each select serves one request.
  void dispatch() {
    records storage;
    bool open = true;
    // What to do with each kind of request: Go's `case` bodies. Each handler gets what was
    // received as a std::optional, empty only if that channel was closed, which of the five
    // only quit_ ever is. (They take it as an rvalue reference: taken by value, GCC 12 -O3
    // warns, wrongly, that the optional may be used uninitialized.)
    auto on_put = [&](std::optional<put_request>&& put) {
      bool is_new = !storage.contains(put->id);
      storage[put->id] = std::move(put->value);
      put->response.send(is_new);
    };
    auto on_get = [&](std::optional<get_request>&& get) {
      auto it = storage.find(get->id);
      get->response.send(it == storage.end() ? get_response{} : get_response{it->second, true});
    };
    auto on_delete = [&](std::optional<delete_request>&& del) {
      del->response.send(storage.erase(del->id) == 1);
    };
    auto on_list = [&](std::optional<list_request>&& list) { list->response.send(storage); };
    // A closed channel is always ready to receive from, so closing quit_ is a signal to
    // whoever selects on it (Go's close(quit)).
    auto on_quit = [&](std::optional<std::monostate>) { open = false; };

    while (open) {
      goro::select(goro::recv(puts_, on_put), goro::recv(gets_, on_get),
                   goro::recv(deletes_, on_delete), goro::recv(lists_, on_list),
                   goro::recv(quit_, on_quit));
    }
  }

  // Unbuffered, as in Go; declared before dispatcher_, which uses them from its first moment.
  goro::chan<put_request> puts_{0};
  goro::chan<get_request> gets_{0};
  goro::chan<delete_request> deletes_{0};
  goro::chan<list_request> lists_{0};
  goro::chan<std::monostate> quit_{0};  // Go's chan struct{}: only ever closed
  goro::join_handle<void> dispatcher_;
};

std::string value_for(int id) { return fmt::format("Value for {}", id); }
std::string updated_value_for(int id) { return fmt::format("Value for {}, updated", id); }

// What one client did, and how many of its answers were not what it expected.
struct client_report {
  int created = 0, read_back = 0, deleted = 0, updated = 0, wrong = 0;
};

// A client owns the ids first..first+n-1. It puts them all, reads them back, deletes the odd
// ones, checks that they are gone, and puts new values for those divisible by 4.
client_report client(in_memory_repository& repo, int first, int n) {
  client_report r;
  auto tally = [&r](bool as_expected, int& count) { ++(as_expected ? count : r.wrong); };
  for (int id = first; id < first + n; ++id) tally(repo.put(id, value_for(id)), r.created);
  for (int id = first; id < first + n; ++id) {
    auto [value, found] = repo.get(id);
    tally(found && value == value_for(id), r.read_back);
  }
  for (int id = first; id < first + n; ++id) {
    if (id % 2 == 0) continue;
    tally(repo.remove(id) && !repo.get(id).found, r.deleted);
  }
  for (int id = first; id < first + n; ++id) {
    if (id % 4 == 0) tally(!repo.put(id, updated_value_for(id)), r.updated);  // not new
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) try {
  auto args = parse_or_exit(argc, argv);
  bool ok = true;

  {  // The Go original's main, line for line.
    in_memory_repository repo;
    for (int i = 0; i < 10; ++i) repo.put(i, value_for(i));
    fmt::print("the Go original: 10 puts, then Get(2) and Get(20)\n");
    for (int id : {2, 20}) {
      auto [value, found] = repo.get(id);  // Go's `value, found := repo.Get(id)`
      fmt::print("  Result: {} Found: {}\n", value, found);
    }
  }  // the destructor closes quit_ and joins the dispatcher

  in_memory_repository repo;
  std::vector<goro::join_handle<client_report>> clients;
  for (int c = 0; c < args.clients; ++c)
    clients.push_back(goro::spawn(client, std::ref(repo), c * args.records, args.records));

  fmt::print("{} clients at once, {} records each:\n", args.clients, args.records);
  for (int c = 0; c < args.clients; ++c) {
    auto r = clients[c].join();  // in order, so that the lines are too
    fmt::print("  client {}: ids {}..{}: {} created, {} read back, {} deleted, {} updated{}\n", c,
               c * args.records, (c + 1) * args.records - 1, r.created, r.read_back, r.deleted,
               r.updated, r.wrong ? fmt::format(", {} WRONG", r.wrong) : "");
    ok &= r.wrong == 0;
  }

  // What must be left: the even ids, the new value for those divisible by 4.
  records want;
  for (int id = 0; id < args.clients * args.records; id += 2)
    want[id] = id % 4 == 0 ? updated_value_for(id) : value_for(id);
  records left = repo.list();
  fmt::print("list: {} records left", left.size());
  if (!left.empty()) fmt::print(", e.g. {} = \"{}\"", left.rbegin()->first, left.rbegin()->second);
  fmt::print("\n");
  ok &= left == want;
  repo.close();

  if (!ok) {
    fmt::print(stderr, "repository: wrong answers, or the wrong records left\n");
    return 1;
  }
  fmt::print("every answer as expected; the records left are the even ids, as they must be\n");
} catch (const goro::option_error& e) {
  return samples::option_failed("repository", e);
}
