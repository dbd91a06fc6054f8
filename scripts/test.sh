#!/bin/sh
# test.sh - the one test command: what CI runs, and what you run before a commit.
#
# Installs whatever is missing (scripts/setup.sh: Debian packages, rpcbind,
# the /etc/rpc alias), builds with warnings as errors and runs every test;
# then builds again with AddressSanitizer and UndefinedBehaviorSanitizer and
# runs every test once more.  Needs root, or sudo, for the set-up part.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

scripts/setup.sh

run_suite() {
    dir=$1
    shift
    echo "== $dir"
    cmake -S . -B "$dir" -DINVENTARIO_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$(nproc)"
    ctest --test-dir "$dir" --output-on-failure -j 2
}

run_suite build-ci
run_suite build-ci-asan -DINVENTARIO_SANITIZE=address,undefined
echo "== todas las pruebas pasaron"
