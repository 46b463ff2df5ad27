# Thin wrappers around Meson, pytest and the benchmark scripts. See README.md.
BUILD    ?= build
ASAN     ?= build-asan
RELEASE  ?= build-release
PYTHON   ?= /usr/bin/python3
DATA     ?= oorkonde-data
LEARNERS ?= 300
PLAIN    ?= build-plain
PYTEST   := $(PYTHON) -m pytest -q -p no:cacheprovider --durations=15
# The builds made for tests and benchmarks honour the test switches (meson option test_hooks);
# a folder set up before that option existed gets it switched on here.
HOOKS     = meson configure $(1) | grep -Eq '^ *test_hooks +true' || \
	meson configure $(1) -Dtest_hooks=true

.PHONY: all deps test-deps build binary plain run check unit e2e e2e-sqlite e2e-pg interop browser \
	sanitize sanitize-build sanitize-unit sanitize-e2e bench fuzz fuzz-build \
	check-valgrind soak clean

all: build

# What building and running need; test-deps adds the test toolchain (scripts/install-deps).
deps:
	@scripts/install-deps run

test-deps:
	@scripts/install-deps test

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized -Dtest_hooks=true

build: deps $(BUILD)/build.ninja
	@$(call HOOKS,$(BUILD))
	ninja -C $(BUILD)

# The command alone, without the unit tests: scripts/check starts the PostgreSQL pass on it while
# the unit tests build beside.
binary: deps $(BUILD)/build.ninja
	@$(call HOOKS,$(BUILD))
	ninja -C $(BUILD) src/cli/oorkonde

# PREBUILT=1 (scripts/check, which makes the builds first and runs tests side by side): the test
# targets below do not build, so that no two ninja runs share a build folder at once.
NEEDS = $(if $(PREBUILT),,$(1))

# A build as a user makes it (release, no test switches), only the binary: the end-to-end tests
# show that it ignores the test switches (tests/e2e/test_hooks.py).
$(PLAIN)/build.ninja:
	meson setup $(PLAIN) --buildtype=release -Dtests=false

plain: deps $(PLAIN)/build.ninja
	ninja -C $(PLAIN) src/cli/oorkonde

OORKONDE := $(BUILD)/src/cli/oorkonde --data "$(DATA)"
LISTEN   ?= 127.0.0.1:8080

run: build
	@if [ ! -d "$(DATA)" ]; then $(OORKONDE) init --host $(LISTEN); fi
	$(OORKONDE) demo --learners $(LEARNERS) --login-link
	@# The demo registrar key is made once and kept in the data folder (0600), not anew at
	@# every start.
	@if [ ! -s "$(DATA)/demo-registrar.key" ]; then \
		(umask 077; $(OORKONDE) apikey add --institution 21PB \
			| sed -n 's/^API key .*: \(ok_[A-Za-z0-9_-]*\)$$/\1/p' > "$(DATA)/demo-registrar.key"); \
		if [ ! -s "$(DATA)/demo-registrar.key" ]; then \
			rm -f "$(DATA)/demo-registrar.key"; echo "could not make the demo registrar key" >&2; exit 1; \
		fi; \
	fi
	@echo "A registrar key for the demo university (21PB), kept in $(DATA)/demo-registrar.key:"
	@cat "$(DATA)/demo-registrar.key"
	$(OORKONDE) serve --listen $(LISTEN)

# The store's unit tests run on SQLite and on a throw-away PostgreSQL cluster (scripts/with-pg).
unit: test-deps build
	scripts/with-pg meson test -C $(BUILD) --suite unit --print-errorlogs

# The end-to-end suite on SQLite, then on PostgreSQL: there every depository the tests make is a
# database of its own on one throw-away cluster for the run (scripts/with-pg;
# tests/e2e/helpers/store.py). E2E_JOBS pytest-xdist workers share the machine (0: none); a
# test file stays on one worker (--dist loadfile: its module fixtures, and the examples of
# test_docs.py build on each other).
E2E_JOBS ?= 2
E2E_RUN   = OORKONDE_BIN=$(CURDIR)/$(BUILD)/src/cli/oorkonde \
	OORKONDE_PLAIN_BIN=$(CURDIR)/$(PLAIN)/src/cli/oorkonde \
	$(PYTEST) -n $(E2E_JOBS) --dist loadfile tests/e2e

e2e: e2e-sqlite e2e-pg

e2e-sqlite: test-deps build plain
	$(E2E_RUN)

e2e-pg: test-deps $(call NEEDS,build)
	OORKONDE_TEST_STORE=pg scripts/with-pg env $(E2E_RUN)

# Independent verifiers (npm, pinned in tests/interop/package-lock.json); installs node and npm
# from Debian when missing, the npm packages on first use, then runs offline.
interop: test-deps build
	OORKONDE_BIN=$(CURDIR)/$(BUILD)/src/cli/oorkonde tests/interop/run

# The pages in Debian's chromium through playwright-core (pinned in tests/browser/package-lock.json;
# installed on first use); screenshots in tests/browser/out/.
browser: test-deps build
	OORKONDE_BIN=$(CURDIR)/$(BUILD)/src/cli/oorkonde tests/browser/run

# Every test. The end-to-end suite runs on PostgreSQL with the plain build and on SQLite under
# ASan + UBSan (make sanitize): one SQLite pass, watched by the sanitizers, instead of two.
# `make e2e` (or e2e-sqlite) still runs the plain build on SQLite.
# What `make unit e2e-pg interop browser sanitize` runs, with the builds beside the tests
# (scripts/check); CHECK_FUZZ_SECONDS=N adds every fuzz target for N s beside the sanitizer pass.
check: test-deps
	CHECK_FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) scripts/check

$(ASAN)/build.ninja:
	CC=clang meson setup $(ASAN) --buildtype=debugoptimized -Db_sanitize=address,undefined \
		-Db_lundef=false \
		-Dtest_hooks=true

# The sanitizer build alone (.ci/run makes it while the PostgreSQL pass runs).
sanitize-build: test-deps $(ASAN)/build.ninja
	@$(call HOOKS,$(ASAN))
	ninja -C $(ASAN)

# The unit tests run on both stores (scripts/with-pg); the end-to-end suite on SQLite only: the C
# code the sanitizers watch is the same on both stores but for the store itself. `make check`
# runs the two halves side by side (scripts/check).
sanitize: sanitize-unit sanitize-e2e

sanitize-unit: $(call NEEDS,sanitize-build)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		scripts/with-pg meson test -C $(ASAN) --suite unit --print-errorlogs

sanitize-e2e: $(call NEEDS,plain sanitize-build)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		OORKONDE_BIN=$(CURDIR)/$(ASAN)/src/cli/oorkonde OK_SANITIZED=1 \
		OORKONDE_PLAIN_BIN=$(CURDIR)/$(PLAIN)/src/cli/oorkonde \
		$(PYTEST) -n $(E2E_JOBS) --dist loadfile tests/e2e

$(RELEASE)/build.ninja:
	meson setup $(RELEASE) --buildtype=release -Dtests=false -Dtest_hooks=true

# Benchmarks (docs/benchmarks.md): BENCH_ONLY picks parts, e.g. `make bench BENCH_ONLY=vc` or
# `BENCH_ONLY="vc http" make bench`; the default runs all (about 14 minutes on 2 cores).
BENCH_ONLY ?= import vc status http foreign audit hostile
# GNU time, wrk and curl from Debian; node and npm (the npm verifier) only when missing.
BENCH_DEPS := time wrk curl $(if $(shell command -v node),,nodejs) $(if $(shell command -v npm),,npm)

bench: deps $(RELEASE)/build.ninja
	@OK_DEPS_EXTRA="$(BENCH_DEPS)" scripts/install-deps
	@$(call HOOKS,$(RELEASE))
	ninja -C $(RELEASE)
	OORKONDE_BIN=$(CURDIR)/$(RELEASE)/src/cli/oorkonde OORKONDE_BUILD=$(CURDIR)/$(RELEASE) \
		bench/all "$(BENCH_ONLY)"

# libFuzzer targets (clang, ASan + UBSan) in build-fuzz, each for FUZZ_SECONDS with a scratch copy
# of its seed corpus; fails on any crash (reproducers in tests/fuzz/crashes/). FUZZ_ONLY picks.
FUZZ_SECONDS ?= 60

fuzz: test-deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz

# Only the fuzz build (.ci/run makes it while other tests run).
fuzz-build: test-deps
	FUZZ_BUILD_ONLY=1 scripts/fuzz

# The unit tests and a few end-to-end CLI flows under valgrind memcheck: any error or definite
# leak fails. Not in CI: it takes about 9 minutes on 2 cores (docs/reliability.md).
VALGRIND     := valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1
VALGRIND_E2E ?= tests/e2e/test_cli_basics.py tests/e2e/test_init.py \
	tests/e2e/test_institution.py tests/e2e/test_privacy.py tests/e2e/test_credentials.py
VG_DIR       := $(CURDIR)/$(BUILD)/valgrind

check-valgrind: test-deps build
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

soak: test-deps build
	@OK_DEPS_EXTRA="wrk curl" scripts/install-deps
	OORKONDE_BIN=$(CURDIR)/$(BUILD)/src/cli/oorkonde DURATION=$(DURATION) scripts/soak

clean:
	rm -rf $(BUILD) $(ASAN) $(RELEASE) $(PLAIN)
