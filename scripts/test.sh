#!/bin/sh
# test.sh - the one test command: what CI runs, and what you run before a commit.
#
# Installs whatever is missing (scripts/setup.sh: Debian packages, rpcbind,
# the /etc/rpc alias), builds with warnings as errors and runs every test;
# then builds again with AddressSanitizer and UndefinedBehaviorSanitizer and
# runs every test once more; last, a short bounded libFuzzer run of each
# fuzz target (clang).  Needs root, or sudo, for the set-up part.  Longer
# runs: scripts/fuzz.sh, scripts/crash-loop.sh, scripts/test-tsan.sh,
# scripts/test-valgrind.sh.
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

echo "== build-ci-fuzz"
cmake -S . -B build-ci-fuzz -DCMAKE_C_COMPILER=clang -DINVENTARIO_FUZZ=ON \
    -DINVENTARIO_WERROR=ON >/dev/null
cmake --build build-ci-fuzz -j "$(nproc)" --target fuzz_xdr_args fuzz_dispatch fuzz_recmark
ctest --test-dir build-ci-fuzz --output-on-failure -R '^fuzz_run_'
echo "== todas las pruebas pasaron"
