// goro::http: an HTTP/1.1 server and client over goro::net streams, one fiber per
// connection (Go's net/http, reduced to its core). Messages are parsed by Boost.Beast's
// HTTP parser (a well-kept, incremental, size-limited parser) fed from the fiber's stream;
// goro writes no HTTP parsing of its own, and checks what the parser accepts against
// RFC 9112's framing rules before it trusts a message's length.
//   http/message.hpp   request, response, header; invalid_message
//   http/server.hpp    server, server_options (limits and timeouts)
//   http/client.hpp    client, client_options, get()
//
//   goro::http::server srv([](const goro::http::request& rq, goro::http::response& rs) {
//     rs.body = "hello, " + rq.target;
//   });
//   auto ln = goro::net::listen("127.0.0.1:8080");
//   goro::go([&] { srv.serve(ln); });
//   auto r = goro::http::get("http://127.0.0.1:8080/world");   // r.status 200, "hello, /world"
//   srv.shutdown();
#pragma once

#include <goro/net/http/client.hpp>
#include <goro/net/http/message.hpp>
#include <goro/net/http/server.hpp>
