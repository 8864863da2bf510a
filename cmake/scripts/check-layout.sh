#!/usr/bin/env bash
# The module boundaries (docs/design.md, "The layout"): each module (runtime, channels,
# patterns) keeps its internals in its own src/; the others reach it through its public
# headers, include/goro/ (the runtime's detail API among them: goro/detail/*.hpp). This
# check fails when
#   1. a CMakeLists.txt outside a module adds that module's src/ to an include path, except
#      the white-box tests (test/CMakeLists.txt, goro_test(... WHITEBOX ...)), which are the
#      runtime's own tests of its internals;
#   2. a source file outside a module includes, by a quoted relative name, a header that
#      exists only in that module's src/ (it would compile only with that src/ on its
#      include path), except in the white-box tests' folders.
# Usage: check-layout.sh [SOURCE_DIR]   (run by ctest as layout.module_boundaries)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
modules=(runtime channels patterns)
fail=0

# 1. include paths
for m in "${modules[@]}"; do
  while IFS= read -r hit; do
    file=${hit%%:*}
    case "$file" in
      "$m"/*) continue ;;  # the module itself
      test/CMakeLists.txt)
        # Only inside goro_test's WHITEBOX branch.
        if grep -q "if(T_WHITEBOX)" "$file" &&
           awk '/^[ \t]*#/{next} /if\(T_WHITEBOX\)/{w=1} /endif\(\)/{w=0}
                !w && /'"$m"'\/src/{bad=1} END{exit bad}' "$file"; then
          continue
        fi ;;
    esac
    echo "layout: $hit: adds $m/src to an include path outside $m/" >&2
    fail=1
  done < <(grep -rn --include=CMakeLists.txt --include='*.cmake' -E "(^|[/ \"{}])$m/src" . \
             | grep -v '^\./build' | sed 's|^\./||' | awk -F: '$3 !~ /^[ \t]*#/' || true)
done

# 2. quoted includes that resolve only in another module's src/
while IFS= read -r file; do
  dir=$(dirname "$file")
  owner=${file%%/*}
  while IFS= read -r h; do
    [ -e "$dir/$h" ] && continue
    for m in "${modules[@]}"; do
      [ "$m" = "$owner" ] && continue
      if [ -e "$m/src/$h" ]; then
        # White-box test binaries may (rule 1 lets their targets see runtime/src).
        if [ "$owner" = test ] && [ "$m" = runtime ]; then continue; fi
        echo "layout: $file includes \"$h\", which is $m/src/$h: use $m's public headers" >&2
        fail=1
      fi
    done
  done < <(grep -oE '^#include "[^"]+"' "$file" | sed 's/#include "//; s/"$//')
done < <(find runtime channels patterns samples perf test tools -type f \
           \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -not -path '*/build/*' | sort)

if [ "$fail" -ne 0 ]; then
  echo "layout: a module's internals are reached from outside it (see above)" >&2
  exit 1
fi
echo "layout: every module is reached through its public headers"
