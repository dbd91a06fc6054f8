#!/bin/sh
# test-valgrind.sh - the integration tests with every server under valgrind memcheck.
#
#   scripts/test-valgrind.sh [TEST.py...]
#
# Builds BUILD (default build-valgrind; an ordinary build, no sanitizer) and
# runs each test (default: tests/integration/test_*.py and
# tests/hostile/test_hostil.py) with INVENTARIO_VALGRIND=1, which makes
# tests/lib/harness.py start every server as
#   valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
#            --suppressions=tests/valgrind.supp ...
# and stop it with SIGTERM at the end of each test, so the leak check runs.
# A server with an invalid access, an uninitialised value that matters, or a
# definite leak fails its test.  Tests run one after the other, directly
# with python (ctest's TIMEOUTs are too short for valgrind, 10-50 times
# slower), each under a 30-minute `timeout`.  Every report is kept in
# BUILD/valgrind/ and summed up at the end.  Exit status 0 if every test
# passed and no report names an error.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-build-valgrind}
logs=$top/$build/valgrind

if [ $# -eq 0 ]; then
    set -- tests/integration/test_*.py tests/hostile/test_hostil.py
fi
cmake -S . -B "$build" -DINVENTARIO_WERROR=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target inventario-server
rm -rf "$logs"
mkdir -p "$logs"

status=0
failed=""
for t in "$@"; do
    echo "== $t"
    if ! INVENTARIO_VALGRIND=1 INVENTARIO_VALGRIND_LOGS="$logs" \
         INVENTARIO_SERVER="$top/$build/server/inventario-server" \
         PYTHONPATH="$top/tests/lib" PYTHONDONTWRITEBYTECODE=1 \
         timeout 1800 /usr/bin/python3 -u "$t"; then
        failed="$failed $t"
        status=1
    fi
done

# Every server's report: how it ended, and whether it names an error.
n=0; checked=0; bad=""
for f in "$logs"/valgrind-*.log; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    grep -q "ERROR SUMMARY" "$f" && checked=$((checked + 1))
    if grep -qE "ERROR SUMMARY: [1-9]|Invalid (read|write|free)|uninitialised|definitely lost in loss record|Syscall param" "$f"; then
        bad="$bad $f"
    fi
done
echo "test-valgrind: $n servidores bajo memcheck, $checked con comprobación de fugas al salir (los demás terminaron con SIGKILL a propósito)"
if [ -n "$bad" ]; then
    for f in $bad; do
        echo "== $f"
        cat "$f"
    done
    echo "test-valgrind: errores de memcheck en:$bad" >&2
    status=1
fi
[ -n "$failed" ] && echo "test-valgrind: pruebas fallidas:$failed" >&2
[ $status -eq 0 ] && echo "test-valgrind: sin errores de memcheck"
exit $status
