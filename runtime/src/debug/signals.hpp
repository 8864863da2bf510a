// Internal. SIGQUIT prints every fiber (see options::sigquit). The handler only writes a
// byte to a pipe (async-signal-safe); a plain thread, "goro-sigquit", reads it and dumps,
// so that the dump may allocate, lock and unwind as any code does.
#pragma once

#include <goro/runtime.hpp>

namespace goro::detail {

// At start: installs the handler and its thread, unless `action` is none or the program
// has a handler of its own. At shutdown: removes both (restores the default).
void sigquit_start(sigquit_action action);
void sigquit_stop();

}  // namespace goro::detail
