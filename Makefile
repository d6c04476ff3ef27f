# fleetd — the two set-up commands are `make run` and `make test`; both install what is missing first.
.PHONY: deps build run test test-unit test-asan test-fuzz test-integration bench clean

JOBS ?= $(shell nproc)

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@echo "built: build/fleetd"

run: build
	@scripts/run-demo.sh

test: build
	@scripts/test.sh

test-unit test-asan test-fuzz test-integration: build
	@scripts/test.sh $(subst test-,,$@)

bench: build
	@scripts/install-deps.sh --bench
	@bench/run.sh

clean:
	rm -rf build build-debug build-asan build-fuzz
