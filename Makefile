# Descent: `make repl` and `make test` are all a fresh Debian machine with the Swift toolchain needs.
SWIFT ?= swift
BIN_DEBUG := .build/debug/descent
BIN_RELEASE := .build/release/descent
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build release repl test unit-tests script-tests repl-tests notebook-tests lesson-tests course-tests memory-tests pexpect fuzz leak-check test-browser bench docs deps clean

all: build

## deps: install the system packages the build needs (libedit-dev, libopenblas-dev), when missing
deps:
	@missing=""; \
	pkg-config --exists libedit 2>/dev/null || missing="$$missing libedit-dev"; \
	pkg-config --exists openblas 2>/dev/null || missing="$$missing libopenblas-dev"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing pkg-config >/dev/null; \
	fi

build: deps
	$(SWIFT) build --product descent

## release: the optimised binary, with the Swift runtime and Foundation linked in statically and at a fixed address (Package.swift), so that it starts in 3-4 ms instead of 13.5
release: deps
	$(SWIFT) build -c release --static-swift-stdlib --product descent

## repl: build (release) and start the REPL
repl: release
	@$(BIN_RELEASE)

## test: every test: Swift unit and golden-script tests, CLI tests, REPL tests through a pty
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory repl-tests
	$(MAKE) --no-print-directory notebook-tests
	$(MAKE) --no-print-directory lesson-tests
	$(MAKE) --no-print-directory course-tests
	$(MAKE) --no-print-directory memory-tests
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=60

repl-tests: deps pexpect
	python3 Tests/REPL/test_repl.py $(BIN_DEBUG)

## course-tests: init, exercises, grade, hint, solution, reset, quiz and watch (through a pty) end to end; every exercise fails untouched and passes solved
course-tests: release pexpect
	python3 Tests/Course/test_course.py $(BIN_RELEASE)

## memory-tests: one million optimizer steps with grad and adam, and 200,000 hand-written value_and_grad steps, each in its own process; resident memory must stay flat
memory-tests: release
	python3 Tests/Robustness/test_memory.py $(BIN_RELEASE)

pexpect:
	@python3 -c 'import pexpect' 2>/dev/null || python3 -m pip install -q pexpect 2>/dev/null || \
		python3 -m pip install -q --break-system-packages pexpect 2>/dev/null || \
		($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-pexpect >/dev/null)

## notebook-tests: export a sample notebook to HTML, Markdown and .ipynb and validate each (nbformat)
notebook-tests:
	@python3 -c 'import nbformat' 2>/dev/null || python3 -m pip install -q nbformat 2>/dev/null || \
		python3 -m pip install -q --break-system-packages nbformat 2>/dev/null || \
		($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-nbformat >/dev/null)
	python3 Tests/Notebooks/test_export.py $(BIN_DEBUG)

## lesson-tests: run every lesson (asserting its claims) under run seeds 0, 1 and 2 (LESSON_SEEDS="0-29" for a sweep) and export it, with a release build as the lessons are sized for one
lesson-tests: release
	python3 Tests/Notebooks/test_lessons.py $(BIN_RELEASE)

FUZZ_SECONDS ?= 60
FUZZ_MODE ?= interpreter

## fuzz: fuzz the interpreter (or FUZZ_MODE=parser: the lexer and parser) with libFuzzer and the address sanitizer for FUZZ_SECONDS (default 60), seeded with every golden script, lesson and exercise; findings land in .build-fuzz/crashes. Leak detection is off: a program may build a reference cycle on purpose (docs/ROBUSTNESS.md)
fuzz: deps
	DESCENT_FUZZ=1 $(SWIFT) build --product DescentFuzz --scratch-path .build-fuzz --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address
	@rm -rf .build-fuzz/seeds && mkdir -p .build-fuzz/seeds .build-fuzz/corpus-$(FUZZ_MODE) .build-fuzz/crashes
	@for f in $$(find Tests/Scripts lessons -name '*.dsc'); do cp "$$f" ".build-fuzz/seeds/$$(echo $$f | tr / _)"; done
	DESCENT_FUZZ_MODE=$(FUZZ_MODE) ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no .build-fuzz/debug/DescentFuzz -max_total_time=$(FUZZ_SECONDS) \
		-timeout=25 -rss_limit_mb=2048 -detect_leaks=0 -artifact_prefix=.build-fuzz/crashes/ -print_final_stats=1 \
		.build-fuzz/corpus-$(FUZZ_MODE) .build-fuzz/seeds

## leak-check: (not in CI) the REPL tests through a pty with an AddressSanitizer + LeakSanitizer build in .build-asan
leak-check: deps pexpect
	$(SWIFT) build --product descent --scratch-path .build-asan -Xswiftc -sanitize=address
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/REPL/lsan.supp SWIFT_BACKTRACE=enable=no \
		python3 Tests/REPL/test_repl.py .build-asan/debug/descent

## test-browser: (not in CI) export every lesson and the sample notebook to HTML and screenshot them with chromium
test-browser: build
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null)
	@mkdir -p build/screenshots
	@for notebook in lessons/*.dsc Tests/Notebooks/sample.dsc; do \
		[ -f "$$notebook" ] || continue; \
		name=$$(basename "$$notebook" .dsc); \
		$(BIN_DEBUG) export "$$notebook" --to html -o "build/screenshots/$$name.html" || true; \
		chromium --headless --no-sandbox --disable-gpu --window-size=1200,2400 \
			--screenshot="build/screenshots/$$name.png" "file://$$(pwd)/build/screenshots/$$name.html" 2>/dev/null; \
		echo "build/screenshots/$$name.png"; \
	done

## bench: the benchmarks of BENCHMARKS.md, side by side with CPython, Lua and NumPy (and PyTorch if installed)
bench: release
	@command -v hyperfine >/dev/null && command -v lua5.4 >/dev/null || \
		($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq hyperfine lua5.4 >/dev/null)
	@python3 -c 'import numpy' 2>/dev/null || python3 -m pip install -q numpy 2>/dev/null || \
		python3 -m pip install -q --break-system-packages numpy
	bench/run.sh $(BIN_RELEASE)

## docs: regenerate docs/BUILTINS.md from the built-in declarations
docs: build
	$(BIN_DEBUG) --builtins-markdown > docs/BUILTINS.md

clean:
	rm -rf .build
