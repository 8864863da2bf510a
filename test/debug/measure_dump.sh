#!/bin/bash
# How long a SIGQUIT dump of N parked fibers takes: from kill -QUIT until the process has
# written the whole dump and exited (status 2). Not run by ctest (a time is no verdict).
#   test/debug/measure_dump.sh build/release/test/debug/dump_target 200000
set -euo pipefail -m  # -m: a background job started so does not ignore SIGQUIT
target=$1
n=${2:-200000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkfifo "$out/ready"
"$target" "$n" >"$out/ready" 2>"$out/dump.txt" &
pid=$!
read -r line <"$out/ready"  # "parked N": every fiber is parked
start=$(date +%s.%N)
kill -QUIT "$pid"
status=0
wait "$pid" || status=$?
end=$(date +%s.%N)
echo "$line; dump: $(echo "$end - $start" | bc) s, exit $status," \
  "$(wc -l <"$out/dump.txt") lines, $(stat -c %s "$out/dump.txt") bytes"
head -c 2000 "$out/dump.txt" | sed -n 1,14p
