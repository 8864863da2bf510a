#!/usr/bin/env bash
# The first README command: install what is missing, build, run the sample tour.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash cmake/scripts/install-deps.sh
cmake --preset release > /dev/null
cmake --build --preset release
bash samples/tour.sh build/release
