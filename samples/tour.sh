#!/bin/sh
# samples/tour.sh: runs the samples in reading order, each under a one-line heading.
# Usage: samples/tour.sh [build-dir]   (default: build/release of this repository)
# Takes well under a minute on two cores; skynet, the last, takes most of it.
set -e
build=${1:-$(dirname "$0")/../build/release}
bin=$build/samples
for sample in waitgroup sched skynet; do
  if [ ! -x "$bin/$sample" ]; then
    echo "tour: $bin/$sample not found; build first, e.g. ninja -C $build" >&2
    exit 1
  fi
done

echo "== waitgroup: launch many fibers and wait for them =="
"$bin/waitgroup"
echo
echo "== sched: the scheduler at work (processors, run queues, steals, parks) =="
"$bin/sched"
echo
echo "== skynet: a million fibers in a tree, timed against OS threads =="
"$bin/skynet"
