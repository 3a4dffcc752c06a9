#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer and the address sanitizer, in .build-fuzz.
# ld.gold warns "Cannot export local symbol '__asan_...'" hundreds of times; the warnings are
# harmless (see Docs/RELIABILITY.md) and filtered out so that real diagnostics stay visible.
set -uo pipefail
cd "$(dirname "$0")/.."
#
# One `-sanitize=fuzzer,address`, not SwiftPM's `--sanitize=fuzzer --sanitize=address`: SwiftPM
# passes those as two `-sanitize=` flags in no fixed order and the driver keeps the last one, so
# a build got either no coverage (libFuzzer: "no interesting inputs") or no ASan.
swift build --package-path Fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address "$@" 2>&1 \
    | grep -v "Cannot export local symbol"
exit "${PIPESTATUS[0]}"
