// Internal. Closing a connection after an answer without losing the answer (Go's
// closeWriteAndWait and rstAvoidanceDelay): closing a TCP socket that still has unread bytes
// of the client's makes the kernel send a reset, and a client that is still sending (a huge
// header, a body the server refused) may then lose the answer before reading it.
#pragma once

#include <chrono>
#include <cstddef>

#include <goro/net/http/message.hpp>
#include <goro/net/tcp.hpp>

namespace goro::http::detail {

// How long, and how many bytes, linger_close() waits for the client to finish sending.
inline constexpr std::chrono::seconds linger_time{1};
inline constexpr std::size_t linger_bytes = 256 * 1024;

// Stops writing (the client reads the end of the answer), reads and discards what the
// client still sends until it closes, linger_bytes were read or linger_time passed, then
// closes `s`. Never throws: an error only ends the wait. A scheduling point.
void linger_close(net::stream& s) noexcept;

// The server's own answer to a request it will not serve (400, 408, 413, 431, 501: `rs`,
// with Connection: close), written within write_timeout, then linger_close(). Never throws;
// a write that fails only closes `s`.
void answer_and_linger(net::stream& s, const response& rs,
                       std::chrono::nanoseconds write_timeout) noexcept;

}  // namespace goro::http::detail
