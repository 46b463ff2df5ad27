# Thin wrappers around Meson, pytest and the benchmark scripts. See README.md.
BUILD    ?= build
ASAN     ?= build-asan
RELEASE  ?= build-release
PYTHON   ?= /usr/bin/python3
DATA     ?= oorkonde-data
LEARNERS ?= 300
PYTEST   := $(PYTHON) -m pytest -q -p no:cacheprovider

.PHONY: all deps build run check unit e2e interop browser sanitize bench fuzz check-valgrind soak clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

OORKONDE := $(BUILD)/src/cli/oorkonde --data "$(DATA)"
LISTEN   ?= 127.0.0.1:8080

run: build
	@if [ ! -d "$(DATA)" ]; then $(OORKONDE) init --host $(LISTEN); fi
	$(OORKONDE) demo --learners $(LEARNERS) --login-link
	@echo "A registrar key for the demo university (21PB):"
	@$(OORKONDE) key add --institution 21PB
	$(OORKONDE) serve --listen $(LISTEN)

unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

e2e: build
	OORKONDE_BIN=$(CURDIR)/$(BUILD)/src/cli/oorkonde $(PYTEST) tests/e2e

# Independent verifiers (npm, pinned in tests/interop/package-lock.json); installs node and npm
# from Debian when missing, the npm packages on first use, then runs offline.
interop: build
	OORKONDE_BIN=$(CURDIR)/$(BUILD)/src/cli/oorkonde tests/interop/run

# The pages in Debian's chromium through playwright-core (pinned in tests/browser/package-lock.json;
# installed on first use); screenshots in tests/browser/out/.
browser: build
	OORKONDE_BIN=$(CURDIR)/$(BUILD)/src/cli/oorkonde tests/browser/run

check: unit e2e interop browser

$(ASAN)/build.ninja:
	CC=clang meson setup $(ASAN) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

sanitize: deps $(ASAN)/build.ninja
	ninja -C $(ASAN)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		meson test -C $(ASAN) --suite unit --print-errorlogs
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		OORKONDE_BIN=$(CURDIR)/$(ASAN)/src/cli/oorkonde OK_SANITIZED=1 $(PYTEST) tests/e2e

$(RELEASE)/build.ninja:
	meson setup $(RELEASE) --buildtype=release -Dtests=false

# Benchmarks (docs/benchmarks.md): BENCH_ONLY picks parts, e.g. `make bench BENCH_ONLY=vc` or
# `BENCH_ONLY="vc http" make bench`; the default runs all (about 9 minutes on 2 cores).
BENCH_ONLY ?= import vc status http foreign audit hostile
# GNU time, wrk and curl from Debian; node and npm (the npm verifier) only when missing.
BENCH_DEPS := time wrk curl $(if $(shell command -v node),,nodejs) $(if $(shell command -v npm),,npm)

bench: deps $(RELEASE)/build.ninja
	@OK_DEPS_EXTRA="$(BENCH_DEPS)" scripts/install-deps
	ninja -C $(RELEASE)
	OORKONDE_BIN=$(CURDIR)/$(RELEASE)/src/cli/oorkonde OORKONDE_BUILD=$(CURDIR)/$(RELEASE) \
		bench/all "$(BENCH_ONLY)"

# libFuzzer targets (clang, ASan + UBSan) in build-fuzz, each for FUZZ_SECONDS with a scratch copy
# of its seed corpus; fails on any crash (reproducers in tests/fuzz/crashes/). FUZZ_ONLY picks.
FUZZ_SECONDS ?= 60

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz

# The unit tests and a few end-to-end CLI flows under valgrind memcheck: any error or definite
# leak fails. Not in CI: it takes about 9 minutes on 2 cores (docs/reliability.md).
VALGRIND     := valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1
VALGRIND_E2E ?= tests/e2e/test_cli_basics.py tests/e2e/test_init.py \
	tests/e2e/test_institution.py tests/e2e/test_privacy.py tests/e2e/test_credentials.py
VG_DIR       := $(CURDIR)/$(BUILD)/valgrind

check-valgrind: build
	@OK_DEPS_EXTRA=valgrind scripts/install-deps
	meson test -C $(BUILD) --suite unit --print-errorlogs --timeout-multiplier=20 \
		--wrap='$(VALGRIND) -q'
	rm -rf $(VG_DIR) && mkdir -p $(VG_DIR)
	@# A private copy of the binary: a rebuild in the shared tree cannot pull it away mid-run.
	cp $(BUILD)/src/cli/oorkonde $(VG_DIR)/oorkonde.bin
	printf '#!/bin/sh\nexec $(VALGRIND) --log-file=$(VG_DIR)/%%p.log $(VG_DIR)/oorkonde.bin "$$@"\n' \
		>$(VG_DIR)/oorkonde && chmod +x $(VG_DIR)/oorkonde
	OORKONDE_BIN=$(VG_DIR)/oorkonde OK_VALGRIND=1 $(PYTEST) $(VALGRIND_E2E)
	@# An expected non-zero exit could hide valgrind's: every process's log is checked too.
	@bad=$$(grep -lE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' $(VG_DIR)/*.log); \
	if [ -n "$$bad" ]; then cat $$bad; echo "check-valgrind: errors in $$bad" >&2; exit 1; fi; \
	echo "check-valgrind: $$(ls $(VG_DIR)/*.log | wc -l) oorkonde runs, no errors, no definite leaks"

# Mixed load on a demo server for DURATION seconds (wrk, imports, revocations); fails if RSS or
# open descriptors grow more than 10% after the warm-up or any request gets a 5xx.
DURATION ?= 600

soak: build
	@OK_DEPS_EXTRA="wrk curl" scripts/install-deps
	OORKONDE_BIN=$(CURDIR)/$(BUILD)/src/cli/oorkonde DURATION=$(DURATION) scripts/soak

clean:
	rm -rf $(BUILD) $(ASAN) $(RELEASE)
