#!/bin/sh
# test-tsan.sh - the whole test suite with ThreadSanitizer.
#
#   scripts/test-tsan.sh [CTEST-ARGUMENTS...]     e.g. -R 'servicio|hostil'
#
# Builds BUILD (default build-tsan) with -DINVENTARIO_SANITIZE=thread, runs
# ctest there and prints every race report.  tests/tsan.supp suppresses
# exactly the two reports that file explains; any other report
# stops the program that made it (halt_on_error) and fails this script.
# Reports land in BUILD/tsan-reports/ (tests/CMakeLists.txt sets
# TSAN_OPTIONS), emptied first.  libtirpc and SQLite are not instrumented:
# TSan sees our code and the locks, not their inner accesses.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-build-tsan}

cmake -S . -B "$build" -DINVENTARIO_SANITIZE=thread -DINVENTARIO_WERROR=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
rm -f "$build"/tsan-reports/report.*
status=0
ctest --test-dir "$build" --output-on-failure -j 2 "$@" || status=$?

reports=$(find "$build/tsan-reports" -name 'report.*' -size +0 2>/dev/null | sort)
if [ -n "$reports" ]; then
    for r in $reports; do
        echo "== $r"
        cat "$r"
    done
    echo "test-tsan: $(echo "$reports" | wc -l) informe(s) de ThreadSanitizer" >&2
    status=1
else
    echo "test-tsan: ningún informe de ThreadSanitizer"
fi
exit $status
