#!/usr/bin/env bash
# test/soak/soak.sh: the soak (not in CI; see test/soak/README.md). For each mode, http then
# echo, runs soak_server at P=2 for M minutes under a steady load (http: wrk -t1 -c32; echo:
# soak_client.py load, 32 connections) plus a churn client (a new connection per exchange),
# samples the server's RSS every 10 s, then stops it with SIGTERM and checks:
#   - the server lived until SIGTERM and then exited 0 (within 30 s);
#   - its stderr has no "fatal" or "deadlock" line (and no other line at all);
#   - the clients saw no error (wrk: no socket error, no non-2xx answer);
#   - RSS is flat after warm-up: from the first sample after the first 20 % of the run to
#     the largest sample after it, RSS grows by less than 10 % + 2 MiB.
# Prints a summary table; exits 1 on any failure.
#
# --help: soak.sh [--minutes M=10]
set -euo pipefail

minutes=10
while (($#)); do
  case "$1" in
    --minutes) minutes="${2:?--minutes: missing value}"; shift 2 ;;
    --minutes=*) minutes="${1#*=}"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak.sh: unknown flag $1" >&2; exit 2 ;;
  esac
done
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: --minutes: want a whole number >= 1" >&2; exit 2; }

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
[[ -f build/release/build.ninja ]] || cmake --preset release >/dev/null
cmake --build build/release --target soak_server -j 2 >/dev/null
server="$root/build/release/test/soak/soak_server"
client="$here/soak_client.py"
out="$root/build/release/test/soak/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
seconds=$((minutes * 60))
warmup=$((seconds / 5))
echo "soak: ${minutes} min per mode, server $server ($(git -C "$root" rev-parse --short HEAD)); files in $out"

trap 'kill $(jobs -p) 2>/dev/null || true' EXIT  # a server or client of ours left: ended
failures=()
fail() { failures+=("$1: $2"); echo "  FAIL $1: $2"; }
rows=()

# soak_mode <http|echo>: one run; appends its row to rows, its failures to failures.
soak_mode() {
  local mode=$1 csv="$out/$1.rss.csv"
  "$server" --mode "$mode" --procs 2 >"$out/$mode.server.out" 2>"$out/$mode.server.err" &
  local spid=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^soak_server: .* on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$out/$mode.server.out" \
      2>/dev/null || true)  # the file may not be there yet
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  if [[ -z "$port" ]]; then
    fail "$mode" "the server did not start: $(cat "$out/$mode.server.err")"
    kill -KILL "$spid" 2>/dev/null || true
    return
  fi
  echo "$mode: server pid $spid on port $port, load for ${minutes} min"

  local lpid cpid
  if [[ $mode == http ]]; then
    wrk -t1 -c32 -d"${minutes}m" "http://127.0.0.1:$port/" >"$out/$mode.load.out" 2>&1 &
  else
    python3 -B "$client" load --port "$port" --conns 32 --seconds "$seconds" >"$out/$mode.load.out" 2>&1 &
  fi
  lpid=$!
  python3 -B "$client" churn --mode "$mode" --port "$port" --seconds "$seconds" \
    >"$out/$mode.churn.out" 2>&1 &
  cpid=$!

  # RSS, threads and descriptors every 10 s while the load runs.
  echo "seconds,rss_kb,threads,fds" >"$csv"
  local t0=$SECONDS died=0
  while kill -0 "$lpid" 2>/dev/null || kill -0 "$cpid" 2>/dev/null; do
    sleep 10
    if ! kill -0 "$spid" 2>/dev/null; then
      died=1
      kill "$lpid" "$cpid" 2>/dev/null || true
      break
    fi
    local rss threads fds
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$spid/status" 2>/dev/null || echo "")
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$spid/status" 2>/dev/null || echo "")
    fds=$(ls "/proc/$spid/fd" 2>/dev/null | wc -l)
    [[ -n "$rss" ]] && echo "$((SECONDS - t0)),$rss,$threads,$fds" >>"$csv"
  done
  local lrc=0 crc=0
  wait "$lpid" || lrc=$?
  wait "$cpid" || crc=$?

  # The server must still be alive; then SIGTERM, and exit 0 within 30 s.
  local src=0
  if ((died)) || ! kill -0 "$spid" 2>/dev/null; then
    died=1
    wait "$spid" || src=$?
    fail "$mode" "the server died during the load (exit status $src; stderr: $(head -3 "$out/$mode.server.err"))"
  else
    kill -TERM "$spid"
    for _ in $(seq 300); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$spid" 2>/dev/null; then
      kill -QUIT "$spid"  # goro's dump on stderr, exit 2
      sleep 5
      kill -KILL "$spid" 2>/dev/null || true
      fail "$mode" "the server did not exit within 30 s of SIGTERM (dump in $mode.server.err)"
    fi
    wait "$spid" || src=$?
    ((src == 0)) || fail "$mode" "the server exited $src after SIGTERM"
  fi
  if grep -qiE 'fatal|deadlock' "$out/$mode.server.err"; then
    fail "$mode" "the server reported: $(grep -iE -m1 'fatal|deadlock' "$out/$mode.server.err")"
  elif [[ -s "$out/$mode.server.err" ]]; then
    fail "$mode" "the server wrote to stderr: $(head -1 "$out/$mode.server.err")"
  fi

  # The clients' counts and errors (after the server died: killed, nothing to learn).
  ((died)) && { rows+=("$(printf '%-5s %s' "$mode" "died, exit status $src")"); return; }
  local done_n rate churn_n churn_rate
  if [[ $mode == http ]]; then
    done_n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$out/$mode.load.out")
    rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$out/$mode.load.out")
    if grep -qE 'Socket errors|Non-2xx' "$out/$mode.load.out" || ((lrc != 0)); then
      fail "$mode" "wrk: $(grep -E 'Socket errors|Non-2xx' "$out/$mode.load.out" | tr '\n' ' ') (exit $lrc)"
    fi
  else
    done_n=$(sed -n 's/^load: \([0-9]*\) echoes.*/\1/p' "$out/$mode.load.out")
    rate=$(sed -n 's/.* \([0-9]*\) echoes\/s.*/\1/p' "$out/$mode.load.out")
    ((lrc == 0)) || fail "$mode" "load client: $(tail -1 "$out/$mode.load.out")"
  fi
  churn_n=$(sed -n 's/^churn: \([0-9]*\) connections.*/\1/p' "$out/$mode.churn.out")
  churn_rate=$(sed -n 's/.* \([0-9]*\) connections\/s.*/\1/p' "$out/$mode.churn.out")
  ((crc == 0)) || fail "$mode" "churn client: $(tail -1 "$out/$mode.churn.out")"
  [[ -n "$done_n" && "$done_n" != 0 ]] || fail "$mode" "the load did nothing: $(tail -1 "$out/$mode.load.out")"
  [[ -n "$churn_n" && "$churn_n" != 0 ]] || fail "$mode" "the churn did nothing: $(tail -1 "$out/$mode.churn.out")"

  # The server's own counts agree with the clients': http answered at least every request
  # the clients saw answered (wrk's requests in flight at its end are counted by the server
  # only); echo ended exactly the churned connections plus the load's 32, none by an error.
  local served conns errs
  served=$(sed -n 's/^served \([0-9]*\) requests$/\1/p' "$out/$mode.server.out")
  read -r conns errs < <(sed -n 's/^echoed [0-9]* bytes on \([0-9]*\) connections (\([0-9]*\) ended by an error)$/\1 \2/p' \
    "$out/$mode.server.out") || true
  if [[ $mode == http ]]; then
    [[ -n "$served" ]] && ((served >= ${done_n:-0} + ${churn_n:-0})) ||
      fail "$mode" "the server served ${served:-?} requests, the clients saw $((${done_n:-0} + ${churn_n:-0})) answered"
  else
    [[ -n "$conns" ]] && ((conns == ${churn_n:-0} + 32 && errs == 0)) ||
      fail "$mode" "the server ended ${conns:-?} connections (${errs:-?} by an error), the clients made $((${churn_n:-0} + 32))"
  fi

  # RSS after warm-up: the first sample at or past 20 % of the run, the max after it.
  local rssline
  rssline=$(awk -F, -v w="$warmup" 'NR > 1 {
      if (!first) first = $2
      if (!base && $1 >= w) base = $2
      if (base && $2 > max) max = $2
      last = $2; lt = $3; lf = $4
    } END {
      if (!base) { print "none"; exit }
      bound = base * 0.10 + 2048
      printf "%d %d %d %d %d %d %d %s\n", first, base, max, last, max - base, lt, lf,
             (max - base < bound) ? "flat" : "grew"
    }' "$csv")
  local first="-" base="-" max="-" last="-" growth="-" thr="-" fds="-" flat="none"
  if [[ "$rssline" != none ]]; then
    read -r first base max last growth thr fds flat <<<"$rssline"
    [[ $flat == flat ]] || fail "$mode" "RSS grew ${growth} KiB after warm-up (from ${base} to ${max} KiB; bound 10 % + 2 MiB)"
  else
    fail "$mode" "no RSS sample after warm-up"
  fi
  rows+=("$(printf '%-5s %12s %10s %10s %8s %9s %9s %9s %9s %8s %4s %4s %5s' "$mode" "$done_n" "$rate" \
    "$churn_n" "$churn_rate" "$first" "$base" "$max" "$last" "$growth" "$thr" "$fds" "$src")")
  echo "  server: $(grep -v '^soak_server:' "$out/$mode.server.out" | tr '\n' ' ')"
  echo "  load:   $(grep -E '^ *[0-9]+ requests in|^Requests/sec|^load:' "$out/$mode.load.out" | sed 's/^ *//' | tr '\n' ' ')"
  echo "  churn:  $(tail -1 "$out/$mode.churn.out")"
}

soak_mode http
soak_mode echo

echo
echo "summary (${minutes} min per mode; RSS in KiB: first sample, first after warm-up at ${warmup} s, max after it, last)"
printf '%-5s %12s %10s %10s %8s %9s %9s %9s %9s %8s %4s %4s %5s\n' mode load-done "load/s" churned \
  "churn/s" rss-first rss-warm rss-max rss-last growth thr fds exit
for r in "${rows[@]}"; do echo "$r"; done | tee "$out/summary.txt"
if ((${#failures[@]})); then
  echo "FAILED:"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
echo "PASS: no report, no crash, every exchange answered, RSS flat after warm-up"
