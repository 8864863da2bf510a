#!/usr/bin/env bash
# The C++ sources are formatted by clang-format 14 with the project's .clang-format (STYLE:
# one layout for the whole tree, no hand alignment to keep up). Fails, listing the files
# that differ, when one does; `clang-format-14 -i FILE` fixes it.
# Usage: check-format.sh [SOURCE_DIR]   (run by ctest as layout.format)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
fmt=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$fmt" ]; then
  echo "check-format: clang-format-14 not found (cmake/scripts/install-deps.sh installs it)" >&2
  exit 1
fi
differ=()
while IFS= read -r -d '' f; do
  "$fmt" --dry-run -Werror "$f" > /dev/null 2>&1 || differ+=("$f")
done < <(find runtime channels patterns samples test perf \
           \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print0 | sort -z)
if [ ${#differ[@]} -gt 0 ]; then
  echo "check-format: ${#differ[@]} files differ from $("$fmt" --version):"
  printf '  %s\n' "${differ[@]}"
  exit 1
fi
echo "check-format: every C++ file matches .clang-format"
