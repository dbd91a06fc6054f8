#!/bin/sh
# crash-loop.sh - SIGKILL the server at random moments under writes, N times.
#
#   scripts/crash-loop.sh [KILLS] [SEED]
#
# Runs tests/hostile/test_crash_loop.py (ctest runs it with 20 kills) with
# KILLS kills (default 500, a few minutes): after every kill the database
# must pass PRAGMA integrity_check, keep a gapless movement log, hold every
# acknowledged write and nothing that was never sent; keyed AJUSTAR calls
# whose answer was lost are retried after the restart and the total must be
# exact.  SEED picks the kill moments (default: a new one each run, printed
# so a failing run can be repeated).  Uses BUILD (default build) for the
# server, building it first.  Exit status: the test's (0 passed).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

kills=${1:-500}
seed=${2:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
case $kills in
    ''|*[!0-9]*) echo "uso: $0 [MUERTES] [SEMILLA]" >&2; exit 2 ;;
esac
build=${BUILD:-build}

cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j "$(nproc)" --target inventario-server >/dev/null
echo "crash-loop: $kills muertes, semilla $seed, servidor $build/server/inventario-server"
INVENTARIO_SERVER="$top/$build/server/inventario-server" \
INVENTARIO_CRASH_KILLS=$kills INVENTARIO_CRASH_SEED=$seed \
PYTHONPATH="$top/tests/lib" PYTHONDONTWRITEBYTECODE=1 \
    exec /usr/bin/python3 -u tests/hostile/test_crash_loop.py
