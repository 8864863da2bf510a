#!/bin/sh
# samples/tour.sh: runs the samples in reading order, each under a one-line heading.
# Usage: samples/tour.sh [build-dir]   (default: build/release of this repository)
# Takes about a minute on two cores.
set -e
build=${1:-$(dirname "$0")/../build/release}
bin=$build/samples
for sample in hello waitgroup models adder squares safemap repository pipeline generator \
              fanin fanout quit context workerpool singleton vending deadlock jokes redis/redis \
              routers sched skynet; do
  if [ ! -x "$bin/$sample" ]; then
    echo "tour: $bin/$sample not found; build first, e.g. ninja -C $build" >&2
    exit 1
  fi
done

echo "== hello: a fiber sends a random number over a channel =="
"$bin/hello"
echo
echo "== waitgroup: launch many fibers and wait for them =="
"$bin/waitgroup"
echo
echo "== models: one account, five concurrency models (threads, events, promises, CSP, actors) =="
"$bin/models"
echo
echo "== adder: numbers added up in buckets, from one thread to threads, locks, queues and fibers =="
"$bin/adder"
echo
echo "== squares: a pool of ten workers, then one fiber per input =="
"$bin/squares"
echo
echo "== safemap: a map owned by one fiber, which runs the closures sent to it =="
"$bin/safemap"
echo
echo "== repository: a repository owned by one fiber, served over request/response channels =="
"$bin/repository"
echo
echo "== pipeline: stages connected by channels, each closing its output when done =="
"$bin/pipeline"
echo
echo "== generator: values produced only as fast as they are read =="
"$bin/generator"
echo
echo "== fanin: buyers' requests merged into one channel, one seller: exactly the stock is sold =="
"$bin/fanin"
echo
echo "== fanout: one source spread over a pool of workers, results gathered in any or input order =="
"$bin/fanout"
echo
echo "== quit: stages told to quit on a dedicated quit channel, and acknowledging =="
"$bin/quit"
echo
echo "== context: cancelling a tree of fibers, a deadline, request-scoped values =="
"$bin/context"
echo
echo "== workerpool: a bounded pool, the errgroup way (the first error cancels the rest), and by hand =="
"$bin/workerpool"
echo
echo "== singleton: a thousand fibers ask at once; goro::once builds it once =="
"$bin/singleton"
echo
echo "== vending: the vending machine, a fiber for each concurrent activity =="
"$bin/vending"
echo
echo "== deadlock: every fiber waits for another; the runtime names them all and exits (status 2) =="
"$bin/deadlock" || echo "(exit status $?, as intended)"
echo
echo "== jokes: a joke service and a proxy fetching many jokes at once, a fiber per connection =="
"$bin/jokes"
echo
echo "== redis: a Redis-compatible server, a fiber per connection, spoken to by redis-cli =="
if command -v redis-cli >/dev/null; then
  out=$(mktemp)
  "$bin/redis/redis" --port 0 --procs 2 >"$out" &
  server=$!
  port=
  for _ in $(seq 500); do  # its first line names the port (at most 5 s)
    port=$(sed -n 's/^redis: listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$out")
    [ -n "$port" ] && break
    sleep 0.01
  done
  head -n 1 "$out"
  set -f  # "keys ?" is the server's glob, not the shell's
  for cmd in "set greeting hello" "get greeting" "incr visits" "incrby visits 41" \
             "set session abc ex 60" "ttl session" "mset a 1 b 2" "keys ?" "dbsize" "nosuch x"; do
    echo "redis-cli $cmd"
    # shellcheck disable=SC2086
    redis-cli -p "$port" --no-raw $cmd | sed 's/^/  /'
  done
  set +f
  redis-cli -p "$port" --raw info | grep -E '^(connected_clients|total_commands_processed|goro_procs|goro_live_fibers|db0):' | sed 's/^/  info: /'
  kill -TERM "$server"
  wait "$server"
  tail -n +2 "$out"
  rm -f "$out"
else
  echo "(redis-cli not found: cmake/scripts/install-deps.sh installs redis-tools)"
fi
echo
echo "== routers: 200,000 routers, a fiber each, queried over HTTP while their events flow =="
"$bin/routers"
echo
echo "== sched: the scheduler at work (processors, run queues, steals, parks) =="
"$bin/sched"
echo
echo "== skynet: a million fibers in a tree, timed against OS threads =="
"$bin/skynet"
