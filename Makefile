# BCache developer commands. `make test` is what CI runs (through .ci/run).
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
SOURCES := Sources Tests Plugins Package.swift Examples/HummingbirdService/Package.swift Examples/HummingbirdService/Sources Examples/TestingWithBCache/Package.swift Examples/TestingWithBCache/Sources Examples/TestingWithBCache/Tests Fuzz/Package.swift Fuzz/Sources Benchmarks/Package.swift Benchmarks/Benchmarks Integrations/Package.swift Integrations/BCacheHummingbird/Package.swift Integrations/BCacheHummingbird/Sources Integrations/BCacheHummingbird/Tests Integrations/BCacheVapor/Package.swift Integrations/BCacheVapor/Sources Integrations/BCacheVapor/Tests

.PHONY: deps build test test-tsan test-asan fuzz fuzz-short fuzz-build fuzz-seeds fuzz-release-build fuzz-long fuzz-merge demo bench bench-package bench-ops docs example integrations integrations-each format lint clean

## deps: install libsodium-dev and pkg-config when they are missing (Debian/Ubuntu, apt-get).
deps:
	@if ! pkg-config --exists libsodium 2>/dev/null; then \
		echo "==> installing libsodium-dev and pkg-config"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libsodium-dev pkg-config; \
	fi

## build: debug build of every target.
build: deps
	$(SWIFT) build

## test: the whole test suite (Swift Testing), one test at a time. On a 2-core machine the
## concurrency pool has two threads; CPU-heavy suites (codec fuzzing, CRDT laws, 64-node
## simulations) running beside socket tests starve the latter past their deadlines. Serial runs
## take the same wall time here (about 40 s) and are deterministic.
test: deps
	$(SWIFT) test --no-parallel

## demo: three real nodes on 127.0.0.1 (encrypted, random ports), narrated; see Docs/TOOL.md.
demo: deps
	$(SWIFT) build --product bcache
	$$($(SWIFT) build --show-bin-path)/bcache demo

## test-tsan, test-asan: the suite (less the large simulations, see .ci/sanitized-test) under the thread (address) sanitizer, in .build-tsan
## (.build-asan). Fails on the exit code and on any sanitizer report in the output (see
## Docs/RELIABILITY.md). test-asan checks leaks too (LeakSanitizer, at the exit of the test
## process and of every bcache process it starts); BCACHE_ASAN_LEAKS=0 make test-asan skips that.
test-tsan: deps
	.ci/sanitized-test thread

test-asan: deps
	.ci/sanitized-test address

## fuzz: every libFuzzer target (Fuzz/) for FUZZ_SECONDS each; fuzz-short: 5 s each (CI: a smoke
## test; the long runs are `make fuzz-long`, Docs/RELIABILITY.md).
## A crash fails the run and prints the crashing input in base64. fuzz-seeds regenerates the
## committed seed corpora in Fuzz/Corpus.
FUZZ_SECONDS ?= 60
fuzz-build: deps
	Fuzz/build.sh

fuzz: fuzz-build
	Fuzz/run.sh $(FUZZ_SECONDS)

fuzz-short: fuzz-build
	Fuzz/run.sh 5

fuzz-seeds: fuzz-build
	Fuzz/seeds.sh

## fuzz-long: a release fuzz build (still libFuzzer + ASan, in .build-fuzz-release), then every
## target for FUZZ_RUNS executions under `nice -n FUZZ_NICE`; the per-target summary (executions,
## cov, ft, time, crashes) is printed and kept in .build-fuzz-release/summary.txt. Not in CI.
## fuzz-merge folds the inputs a run found into the committed corpora (Fuzz/Corpus, -merge=1).
FUZZ_RUNS ?= 10000000
FUZZ_NICE ?= 19
fuzz-release-build: deps
	Fuzz/build.sh release

fuzz-long: fuzz-release-build
	FUZZ_NICE=$(FUZZ_NICE) Fuzz/run.sh --runs $(FUZZ_RUNS)

fuzz-merge:
	Fuzz/merge.sh

## bench: release build, then every benchmark (options through BENCH_ARGS, e.g. BENCH_ARGS=--json):
## local store, transports (plain and encrypted), the 3-node cluster plain and encrypted.
BENCH_ARGS ?=
bench: deps
	$(SWIFT) build -c release --product bcache
	$$($(SWIFT) build -c release --show-bin-path)/bcache bench local $(BENCH_ARGS)
	$$($(SWIFT) build -c release --show-bin-path)/bcache bench transport --encrypted $(BENCH_ARGS)
	$$($(SWIFT) build -c release --show-bin-path)/bcache bench cluster $(BENCH_ARGS)
	$$($(SWIFT) build -c release --show-bin-path)/bcache bench cluster --encrypted $(BENCH_ARGS)

## bench-package: the Benchmarks/ package (ordo-one package-benchmark, its own build in
## Benchmarks/.build): wall time and malloc counts of the store's and the facade's hot paths.
## Users never build it; `make test` and CI do not run it.
bench-package: deps
	cd Benchmarks && $(SWIFT) package benchmark $(BENCH_ARGS)

## bench-ops: instructions per call of the hot paths under callgrind (valgrind), repeatable on a
## loaded machine: each operation run with and without its loop, the difference ÷ the calls.
OPS_KEYS ?= 10000
OPS_ROUNDS ?= 5
bench-ops: deps
	$(SWIFT) build -c release --product bcache
	strip --strip-debug -o .build/bcache-callgrind $$($(SWIFT) build -c release --show-bin-path)/bcache
	@for spec in "store get_hit" "store get_borrow" "store get_miss" "store set_overwrite" "store delete" \
		"baseline get_hit" "baseline set_overwrite" "facade get_hit" "facade set_overwrite"; do \
		set -- $$spec; \
		full=$$(valgrind --tool=callgrind --callgrind-out-file=/dev/null .build/bcache-callgrind bench ops \
			--target $$1 --operation $$2 --keys $(OPS_KEYS) --rounds $(OPS_ROUNDS) 2>&1 | sed -n 's/.*Collected : //p'); \
		setup=$$(valgrind --tool=callgrind --callgrind-out-file=/dev/null .build/bcache-callgrind bench ops \
			--target $$1 --operation $$2 --keys $(OPS_KEYS) --rounds $(OPS_ROUNDS) --setup-only 2>&1 | sed -n 's/.*Collected : //p'); \
		echo "$$1 $$2: $$(( (full - setup) / ($(OPS_KEYS) * $(OPS_ROUNDS)) )) instructions per call"; \
	done

## docs: the DocC catalog of the BCache target (Sources/BCache/BCache.docc), built offline by
## swift-docc-plugin with warnings as errors (a broken symbol link fails), into $(DOCS_OUTPUT).
DOCS_OUTPUT ?= .build/docs
docs: deps
	$(SWIFT) package --disable-sandbox generate-documentation --target BCache \
		--warnings-as-errors --output-path $(DOCS_OUTPUT)

## example: build Examples/HummingbirdService, and build and test Examples/TestingWithBCache: a
## user's package (the facade, one transport and BCacheTestKit, MemberImportVisibility on) running
## the DocC testing article's code. Each is a package of its own (its own .build folder).
example: deps
	cd Examples/HummingbirdService && $(SWIFT) build
	cd Examples/TestingWithBCache && $(SWIFT) test

## integrations: build and test the framework drivers: Integrations/BCacheHummingbird (a
## Hummingbird PersistDriver) and Integrations/BCacheVapor (a Vapor Cache), each a package of its
## own so that the BCache package never pulls in a web framework (see their README.md). CI builds
## both in one package, Integrations/Package.swift (one build of the graph they share, in
## Integrations/.build), after .ci/check-integrations has checked that it declares exactly what
## the drivers' manifests do; integrations-each builds and tests each driver's own package.
integrations: deps
	.ci/check-integrations
	cd Integrations && $(SWIFT) test --no-parallel

integrations-each: deps
	cd Integrations/BCacheHummingbird && $(SWIFT) test --no-parallel
	cd Integrations/BCacheVapor && $(SWIFT) test --no-parallel

## format: rewrite sources in place with swift-format (.swift-format).
format:
	$(SWIFT) format --in-place --recursive $(SOURCES)

## lint: fail on any formatting difference.
lint:
	$(SWIFT) format lint --strict --recursive $(SOURCES)

clean:
	rm -rf .build .build-* Examples/HummingbirdService/.build Examples/TestingWithBCache/.build \
		Integrations/.build Integrations/BCacheHummingbird/.build Integrations/BCacheVapor/.build
