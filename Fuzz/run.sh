#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, or for RUNS executions each, from its
# committed corpus.
#
#   Fuzz/run.sh SECONDS [target ...]          debug build (`make fuzz-build`), .build-fuzz
#   Fuzz/run.sh --runs RUNS [target ...]      release build (`make fuzz-release-build`), .build-fuzz-release
#
# New inputs go to <scratch>/corpus/<target> (the committed corpus in Fuzz/Corpus is read, never
# written; `Fuzz/merge.sh` folds new inputs into it); crashes to <scratch>/crashes/<target>. A
# crash, leak, timeout or out-of-memory stops that target, prints its input in base64 (and the
# command that replays it) and makes the script exit 1 once every target has run. Prints, and
# writes to <scratch>/summary.txt, per target: executions, executions per second, coverage
# (edges, `cov:`), features (`ft:`), wall time and crashes.
#
# FUZZ_NICE (e.g. 19) runs the targets under `nice`, for long runs on a shared machine;
# FUZZ_SUMMARY names another summary file (for runs of single targets side by side).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = --runs ]; then
    runs=${2:?usage: Fuzz/run.sh --runs RUNS [target ...]}
    shift 2
    scratch=.build-fuzz-release
    bin=$scratch/release
    budget=(-runs="$runs")
    label="$runs executions"
else
    seconds=${1:?usage: Fuzz/run.sh SECONDS [target ...] | --runs RUNS [target ...]}
    shift
    scratch=.build-fuzz
    bin=$scratch/debug
    budget=(-max_total_time="$seconds")
    label="${seconds} s"
fi
if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=(fuzz-record-codec fuzz-membership-wire fuzz-tcp-framing fuzz-secure-envelope fuzz-sync-frame fuzz-fill-message fuzz-epidemic-broadcast)
fi
launcher=()
[ -n "${FUZZ_NICE:-}" ] && launcher=(nice -n "$FUZZ_NICE")

# Swift's own crash backtracer would run inside libFuzzer's crash handler: slow, and it confuses
# ASan's report. libFuzzer prints the stack and the input itself.
export SWIFT_BACKTRACE=enable=no

failed=()
summary=()
for target in "${targets[@]}"; do
    work=$scratch/corpus/$target
    crashes=$scratch/crashes/$target
    log=$scratch/logs/$target.log
    rm -rf "$crashes"
    mkdir -p "$work" "$crashes" "$(dirname "$log")"
    # The digests frame of the sync protocol is 8,193 bytes: longer inputs for that target.
    max_len=4096
    [ "$target" = fuzz-sync-frame ] && max_len=16384
    echo "==> $target: $label"
    start=$(date +%s)
    "${launcher[@]}" "$bin/$target" "$work" "Fuzz/Corpus/$target" \
        "${budget[@]}" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/" >"$log" 2>&1
    status=$?
    elapsed=$(($(date +%s) - start))
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    features=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    found=$(find "$crashes" -type f | wc -l)
    summary+=("$(printf '%-24s %12s %8s %6s %6s %7s %7s' "$target" "${executions:-?}" "${speed:-?}" \
        "${coverage:-?}" "${features:-?}" "$elapsed" "$found")")
    if [ $status -eq 0 ] && [ -z "$executions" ]; then
        # A binary linked without libFuzzer's main exits 0 at once: that is not a pass.
        echo "!!! $target did not run as a fuzzer (no libFuzzer statistics); rebuild it (Fuzz/build.sh)"
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

{
    echo
    printf '%-24s %12s %8s %6s %6s %7s %7s\n' target executions "exec/s" cov ft "time s" crashes
    printf '%s\n' "${summary[@]}"
} | tee "${FUZZ_SUMMARY:-$scratch/summary.txt}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing FAILED: ${failed[*]}"
    exit 1
fi
echo "fuzzing passed: ${#targets[@]} targets, $label each"
