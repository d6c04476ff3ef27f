# fleetd — the two set-up commands are `make run` and `make test`; both install what is missing first.
.PHONY: deps build run test test-unit test-asan test-fuzz test-integration test-e2e screenshots bench clean

JOBS ?= $(shell nproc)

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@scripts/build-web.sh
	@echo "built: build/fleetd and web/dist"

run: build
	@scripts/run-demo.sh

test: build
	@scripts/test.sh

test-unit test-asan test-fuzz test-integration test-e2e: build
	@scripts/test.sh $(subst test-,,$@)

# A screenshot of each main page, in docs/screenshots/ (shown in the README).
screenshots: build
	@cd web && FLEETD=../build/fleetd node e2e/screenshots.mjs

bench: build
	@bench/run.sh

clean:
	rm -rf build build-debug build-asan build-fuzz web/dist web/node_modules
