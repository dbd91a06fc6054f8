#!/bin/sh
# fuzz.sh - longer runs of the libFuzzer targets (tests/fuzz/README.md).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Builds build-fuzz with clang, -DINVENTARIO_FUZZ=ON (AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer), then fuzzes each TARGET
# (xdr_args, dispatch, recmark; default all three) for SECONDS (default 600) one after the
# other.  The working corpus, build-fuzz/fuzz-corpus/TARGET, is kept between
# runs and seeded from tests/fuzz/corpus/TARGET, which is only read.
#
# A finding stops its run and leaves the input in build-fuzz/fuzz-artifacts/.
# Reproduce it with   build-fuzz/tests/fuzz/fuzz_TARGET FILE
# shrink it with      build-fuzz/tests/fuzz/fuzz_TARGET -minimize_crash=1 -runs=10000 FILE
# then fix the bug and commit the input as tests/fuzz/corpus/TARGET/regr-WHAT,
# so every ctest run (replay_TARGET, gcc builds included) checks it again.
#
# Environment: FUZZ_JOBS parallel workers per target (default 1),
# BUILD the build folder (default build-fuzz).  Exit status: 0 if nothing
# was found, 1 if a target found something, 2 on misuse.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

secs=${1:-600}
case $secs in
    ''|*[!0-9]*) echo "uso: $0 [SEGUNDOS] [xdr_args|dispatch|recmark]..." >&2; exit 2 ;;
esac
[ $# -gt 0 ] && shift
targets=${*:-"xdr_args dispatch recmark"}
build=${BUILD:-build-fuzz}
jobs=${FUZZ_JOBS:-1}

cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DINVENTARIO_FUZZ=ON >/dev/null
for t in $targets; do
    cmake --build "$build" -j "$(nproc)" --target "fuzz_$t" >/dev/null
done

export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
status=0
for t in $targets; do
    corpus=$build/fuzz-corpus/$t
    artifacts=$build/fuzz-artifacts
    mkdir -p "$corpus" "$artifacts"
    echo "== fuzz_$t: $secs s, $jobs job(s), corpus $corpus"
    # -max_len: a little past the server's 8192-byte record cap.
    # -malloc_limit_mb: no single allocation anywhere above 64 MiB (the
    # targets' own window is far stricter, see fuzz_alloc.h).
    # libtirpc prints "bad auth_len" on stdout for every malformed AUTH_SYS
    # credential: stdout goes away, libFuzzer's report is on stderr.
    par=""
    [ "$jobs" -gt 1 ] && par="-jobs=$jobs -workers=$jobs"
    # shellcheck disable=SC2086
    if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" $par \
            -max_len=9000 -timeout=10 \
            -malloc_limit_mb=64 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$artifacts/" \
            "$corpus" "tests/fuzz/corpus/$t" >/dev/null 2>"$build/fuzz-$t.log"; then
        echo "fuzz_$t encontró un fallo; véase $build/fuzz-$t.log y $artifacts/" >&2
        status=1
    fi
    grep -E '^(stat::|Done|#[0-9]+.*DONE)' "$build/fuzz-$t.log" || true
done
exit $status
