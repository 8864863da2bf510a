#!/usr/bin/env bash
# Installs the Debian 12 packages goro needs (build, tests, samples, perf peers) when missing.
# Run as root (or with sudo available). Idempotent: installs nothing when all are present.
set -euo pipefail
packages=(
  build-essential cmake ninja-build g++ clang libclang-rt-14-dev  # compilers, sanitizer runtimes
  clang-format-14                                                 # the format check
  pkgconf                                                         # the package test (goro.pc)
  libboost-context-dev libfmt-dev libunwind-dev                   # goro's dependencies
  libgtest-dev libgmock-dev libbenchmark-dev                      # tests, micro-benchmarks
  golang-go libboost-fiber-dev wrk                                # perf peers, http load
  python3 python3-matplotlib                                      # perf runner and charts
  valgrind curl
  gdb                                                             # the gdb extension's test
  redis-tools redis-server                                        # samples/redis: clients, perf peer
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts redis-server as a service on port 6379 when it installs it. Nothing here uses
# that server (the tests and the perf suite start their own, on ports of their own): stop it.
if printf '%s\n' "${missing[@]}" | grep -qx redis-server && command -v systemctl >/dev/null &&
   systemctl is-active --quiet redis-server 2>/dev/null; then
  "${sudo_cmd[@]}" systemctl disable --now redis-server || true
fi
