#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, from its committed seed corpus.
#
#   Fuzz/run.sh SECONDS [target ...]
#
# Build first (`make fuzz-build`). New inputs go to .build-fuzz/corpus/<target> (the committed
# corpus in Fuzz/Corpus is read, never written); crashes to .build-fuzz/crashes/<target>. A crash,
# leak, timeout or out-of-memory stops that target, prints its input in base64 (and the
# command that replays it) and makes the script exit 1 once every target has run. Prints
# executions per second and total executions per target.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?usage: Fuzz/run.sh SECONDS [target ...]}
shift
bin=.build-fuzz/debug
if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=(fuzz-record-codec fuzz-membership-wire fuzz-tcp-framing fuzz-secure-envelope fuzz-sync-frame fuzz-epidemic-broadcast)
fi

# Swift's own crash backtracer would run inside libFuzzer's crash handler: slow, and it confuses
# ASan's report. libFuzzer prints the stack and the input itself.
export SWIFT_BACKTRACE=enable=no

failed=()
summary=()
for target in "${targets[@]}"; do
    work=.build-fuzz/corpus/$target
    crashes=.build-fuzz/crashes/$target
    log=.build-fuzz/logs/$target.log
    rm -rf "$crashes"
    mkdir -p "$work" "$crashes" "$(dirname "$log")"
    # The digests frame of the sync protocol is 8,193 bytes: longer inputs for that target.
    max_len=4096
    [ "$target" = fuzz-sync-frame ] && max_len=16384
    echo "==> $target: ${seconds} s"
    "$bin/$target" "$work" "Fuzz/Corpus/$target" \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/" >"$log" 2>&1
    status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    summary+=("$(printf '%-22s %12s %10s %8s' "$target" "${runs:-?}" "${speed:-?}" "${coverage:-?}")")
    if [ $status -eq 0 ] && [ -z "$runs" ]; then
        # A binary linked without libFuzzer's main exits 0 at once: that is not a pass.
        echo "!!! $target did not run as a fuzzer (no libFuzzer statistics); rebuild with Fuzz/build.sh"
        status=1
    fi
    if [ $status -ne 0 ]; then
        failed+=("$target")
        echo "!!! $target failed (exit $status); the end of its log:"
        # ld.gold's harmless export warnings would drown the report.
        grep -v "Cannot export local symbol" "$log" | tail -60
        for input in "$crashes"/*; do
            [ -f "$input" ] || continue
            echo "!!! crashing input $input ($(wc -c <"$input") bytes), base64:"
            base64 -w0 "$input"
            echo
            echo "!!! replay: echo '<base64>' | base64 -d > input && $bin/$target input"
        done
    fi
done

echo
printf '%-22s %12s %10s %8s\n' target executions "exec/s" coverage
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing FAILED: ${failed[*]}"
    exit 1
fi
echo "fuzzing passed: ${#targets[@]} targets, ${seconds} s each"
