#!/usr/bin/env bash
# Folds the inputs a fuzz run found (<scratch>/corpus/<target>) into the committed corpus
# (Fuzz/Corpus/<target>) with libFuzzer's `-merge=1`, which adds only inputs that reach new
# coverage, and says how big each committed corpus is now.
#
#   Fuzz/merge.sh [target ...]
#
# Uses the release build when there is one (a long run's corpus), else the debug build.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=.build-fuzz-release
bin=$scratch/release
if [ ! -d "$bin" ]; then
    scratch=.build-fuzz
    bin=$scratch/debug
fi
if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=(fuzz-record-codec fuzz-membership-wire fuzz-tcp-framing fuzz-secure-envelope fuzz-sync-frame fuzz-fill-message fuzz-epidemic-broadcast)
fi
export SWIFT_BACKTRACE=enable=no
for target in "${targets[@]}"; do
    found=$scratch/corpus/$target
    [ -d "$found" ] || continue
    max_len=4096
    [ "$target" = fuzz-sync-frame ] && max_len=16384
    "$bin/$target" -merge=1 -max_len="$max_len" "Fuzz/Corpus/$target" "$found" >"$scratch/logs/$target.merge.log" 2>&1
    echo "$target: $(find "Fuzz/Corpus/$target" -type f | wc -l) inputs, $(du -sh "Fuzz/Corpus/$target" | cut -f1)"
done
