#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer and the address sanitizer: debug in .build-fuzz, or with
# `release` optimized in .build-fuzz-release (for long runs: 10 M executions per target).
#
#   Fuzz/build.sh [release]
#
# ld.gold warns "Cannot export local symbol '__asan_...'" hundreds of times; the warnings are
# harmless (see Docs/RELIABILITY.md) and filtered out so that real diagnostics stay visible.
set -uo pipefail
cd "$(dirname "$0")/.."
#
# `--sanitize=fuzzer` tells SwiftPM to link libFuzzer's `main` instead of the executable's own;
# `-Xswiftc -sanitize=fuzzer,address` (one flag, last on the command line) is what the compiler
# keeps. SwiftPM's `--sanitize=fuzzer --sanitize=address` alone gives two `-sanitize=` flags, and
# the driver keeps only the last: a build silently lacked either coverage (libFuzzer: "no
# interesting inputs") or ASan. With `-Xswiftc` alone, the targets got an empty `main` and exited.
if [ "${1:-}" = release ]; then
    # The targets reach internal decoders with `@testable import`: a release build allows it
    # only when every module is compiled with `-enable-testing`.
    mode=(-c release --scratch-path .build-fuzz-release)
    testing=(-Xswiftc -enable-testing)
else
    mode=(--scratch-path .build-fuzz)
    testing=()
fi
swift build "${mode[@]}" --package-path Fuzz --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address "${testing[@]}" \
    2>&1 \
    | grep -v "Cannot export local symbol"
exit "${PIPESTATUS[0]}"
