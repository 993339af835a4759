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

# The main job: the default scenario (1,000 clients, under a minute) against a gateway embedded
# in the load process, in release mode. Prints the summary; writes the JSON report.
SCENARIO ?= scenarios/default.yaml
REPORT ?= out/$(basename $(notdir $(SCENARIO))).json
load:
	$(SWIFT) build -c release --product parley-load
	$(SWIFT) build -c release --product parley
	.build/release/parley-load run $(SCENARIO) --out $(REPORT)

clean:
	rm -rf .build
