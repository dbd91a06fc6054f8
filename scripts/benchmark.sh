#!/bin/sh
# benchmark.sh - the whole benchmark table of inventario in one command.
#
#   scripts/benchmark.sh                 # 1000 products, Redis if installed (~3 min)
#   scripts/benchmark.sh --millon        # and 1 000 000 products (the store takes a while)
#   scripts/benchmark.sh --rapido        # one short pass (the tests run it; figures worthless)
#   scripts/benchmark.sh --help
#
# Prepares the machine (scripts/setup.sh) and builds into build/ (BUILD_DIR)
# unless PREPARAR=no, then runs scripts/benchmark.py, which starts its own
# servers on transient program numbers and temporary stores, measures, prints
# the table and deletes everything it created.  Redis (redis-server,
# redis-benchmark) is the reference where installed; it is not a dependency.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac

case " $* " in
*" --help "* | *" -h "*) ;;
*)
    if [ "${PREPARAR:-si}" != no ]; then
        "$ROOT/scripts/setup.sh"
        [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" >/dev/null
        cmake --build "$BUILD" -j "$(nproc)" >/dev/null
    fi
    ;;
esac
# Debian's own Python where there is one (a version manager's shim in PATH
# would stand between this process and the signals it must get).
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
exec "$PYTHON" "$ROOT/scripts/benchmark.py" --build "$BUILD" "$@"
