# Parley — the two commands that matter: `make load` (the main job) and `make test`.
SWIFT ?= swift
PORT ?= 8080

.PHONY: build release test run load clean

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

# Unit and integration tests (real sockets on loopback). Swift Testing runs them in parallel.
test:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

run:
	$(SWIFT) run parley serve --port $(PORT)

load:
	@echo "parley-load (the load harness) is the next issue; 'make run' starts the server meanwhile." >&2
	@exit 1

clean:
	rm -rf .build
