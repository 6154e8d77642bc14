# GridTokenX Simulator — the two commands a fresh machine needs are `make run` and `make test`.
SWIFT ?= swift
CONFIG ?= release
SCENARIO ?= Scenarios/smoke.yaml
SEED ?= 1
REPORT_DIR ?= Reports/latest
APT_PACKAGES := libsodium-dev libgsl-dev libmimalloc-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GRIDSIM := .build/$(CONFIG)/gridsim

.PHONY: deps deps-browser build run test bench calibrate report-check clean

## deps: install libsodium, GSL, mimalloc and pkg-config with apt-get when they are missing
## (mimalloc has no pkg-config file on Debian: its header tells)
deps:
	@if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libsodium gsl && [ -f /usr/include/mimalloc.h ]; then \
		echo "deps: libsodium $$(pkg-config --modversion libsodium), gsl $$(pkg-config --modversion gsl), mimalloc found"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "deps: installing $(APT_PACKAGES) with apt-get"; \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $(APT_PACKAGES); \
	else \
		echo "deps: libsodium, GSL or mimalloc development files are missing and there is no apt-get here;"; \
		echo "      install libsodium (>= 1.0.18), GSL (>= 2.6), mimalloc (>= 2.0) and pkg-config with your package manager."; \
		exit 1; \
	fi

## deps-browser: Debian's chromium for the HTML report checks (tests and report-check)
deps-browser:
	@if command -v chromium >/dev/null 2>&1; then \
		echo "deps-browser: $$(chromium --version 2>/dev/null | head -1) found"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "deps-browser: installing chromium with apt-get"; \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; \
	else \
		echo "deps-browser: chromium is missing and there is no apt-get here; install Chromium to check HTML reports."; \
		exit 1; \
	fi

## build: release build of the gridsim tool
build: deps
	$(SWIFT) build -c $(CONFIG) --product gridsim

## run: the default scenario, report under Reports/
run: build
	$(GRIDSIM) run $(SCENARIO) --seed $(SEED) --out $(REPORT_DIR)

## test: the whole test suite (release build, so end-to-end runs are quick)
test: deps deps-browser
	$(SWIFT) build -c $(CONFIG) --product gridsim
	$(SWIFT) test -c $(CONFIG)

## bench: the nested package-benchmark suite
bench: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark

## calibrate: measure this host's operation costs into a cost profile
calibrate: build
	$(GRIDSIM) calibrate --out Reports/cost-profile.json

## report-check: the smoke and national reports opened in headless Chromium; screenshots beside them
report-check: build deps-browser
	$(GRIDSIM) run Scenarios/smoke.yaml --out Reports/report-check/smoke --quiet
	$(GRIDSIM) run Scenarios/thai-national-day.yaml --out Reports/report-check/national --quiet
	scripts/report-check.sh Reports/report-check/smoke Reports/report-check/national

clean:
	rm -rf .build Benchmarks/.build
