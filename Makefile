# Thin wrappers around Meson, pytest and the benchmark scripts. See README.md.
BUILD    ?= build
ASAN     ?= build-asan
RELEASE  ?= build-release
PYTHON   ?= /usr/bin/python3
DATA     ?= oorkonde-data
LEARNERS ?= 300
PYTEST   := $(PYTHON) -m pytest -q -p no:cacheprovider

.PHONY: all deps build run check unit e2e interop sanitize bench fuzz clean

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
	$(OORKONDE) demo --learners $(LEARNERS)
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

check: unit e2e interop

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
# `BENCH_ONLY="vc http" make bench`; the default runs all (about 7 minutes on 2 cores).
BENCH_ONLY ?= import vc status http

bench: deps $(RELEASE)/build.ninja
	@OK_DEPS_EXTRA="time wrk curl nodejs npm" scripts/install-deps
	ninja -C $(RELEASE)
	OORKONDE_BIN=$(CURDIR)/$(RELEASE)/src/cli/oorkonde OORKONDE_BUILD=$(CURDIR)/$(RELEASE) \
		bench/all "$(BENCH_ONLY)"

clean:
	rm -rf $(BUILD) $(ASAN) $(RELEASE)
