#!/usr/bin/env bash
# Regenerates the committed seed corpora (Fuzz/Corpus/<target>) from the fuzz build: each target
# writes its own valid encodings when BCACHE_FUZZ_WRITE_SEEDS names a directory. Only the seeds
# (named `NNN-label`) are replaced: the inputs `Fuzz/merge.sh` added (named by their SHA-1) stay.
set -euo pipefail
cd "$(dirname "$0")/.."
for target in fuzz-record-codec fuzz-membership-wire fuzz-tcp-framing fuzz-secure-envelope fuzz-sync-frame fuzz-fill-message fuzz-epidemic-broadcast; do
    rm -f "Fuzz/Corpus/$target"/[0-9][0-9][0-9]-*
    mkdir -p "Fuzz/Corpus/$target"
    BCACHE_FUZZ_WRITE_SEEDS="Fuzz/Corpus/$target" ".build-fuzz/debug/$target" >/dev/null 2>&1
    echo "$target: $(ls "Fuzz/Corpus/$target" | wc -l) seeds"
done
