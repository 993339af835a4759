# Parley — the two commands that matter: `make load` (the main job) and `make test`.
SWIFT ?= swift
PORT ?= 8080
# The scripts' shared Python library (Benchmarks/parleybench), for the test scripts under Tests/.
export PYTHONPATH := $(CURDIR)/Benchmarks$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: format format-check liburing without-liburing check-dependencies embedding-check gating-test xmllint build release test self-contained xcheck xcheck-gate harness-self-check reference-rooms-test front-door-test reconnect-storm lab-test lab-faults-test agents-test scale scale-test run load clean perf-gate compare-servers compare-memory compare-connects peers bench browser-test chromium postgres cluster cluster-sweep cluster-ha cluster-outage chaos capacity conformance certs faults soak

build: liburing
	$(SWIFT) build

release: liburing
	$(SWIFT) build -c release

# The gateway's io_uring write path compiles in where Debian's liburing is installed; apt needs root.
# A header installed after a build without it is not seen by an incremental build (only headers
# that were found are its dependencies): the touch makes the next build recompile the one C file.
liburing:
	@test -f /usr/include/liburing.h || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q liburing-dev && touch Sources/CParleyRing/ring.c; }

# Unit and integration tests (real sockets on loopback; Swift Testing runs them in parallel),
# the chat page in a real browser, Autobahn's conformance suite, then the performance gate.
# The cluster's tests start their own PostgreSQL per test and run after the rest, not beside it:
# on two cores they would otherwise compete with the 5,000-client tests for the same CPU. So do
# the identity tests (their servers, keys and the 5,000 mutated tokens' upgrades): beside the
# rate-limit, shutdown, idle and slow-consumer tests, their CPU made those miss their timings.
IDENTITY_TESTS := (TokenRefusal|IdentityOverSockets|KeyRotation|WebhookAuthorizer|TokenFuzz|AuthRun|AuthorizerRules)Tests
test: self-contained format-check postgres liburing without-liburing
	$(SWIFT) build --build-tests
	$(MAKE) check-dependencies
	$(SWIFT) test --skip-build --skip ParleyClusterTests --skip '$(IDENTITY_TESTS)'
	$(SWIFT) test --skip-build --filter '$(IDENTITY_TESTS)'
	$(SWIFT) test --skip-build --filter ParleyClusterTests
	$(MAKE) browser-test
	$(MAKE) conformance
	$(MAKE) perf-gate
	$(MAKE) xcheck-gate
	$(MAKE) harness-self-check
	$(MAKE) reference-rooms-test
	$(MAKE) front-door-test
	$(MAKE) gating-test
	$(MAKE) agents-test
	$(MAKE) lab-test
	$(MAKE) lab-faults-test
	$(MAKE) scale-test
	$(MAKE) embedding-check

# The Swift sources as .swift-format has them (swift-format ships with the toolchain); `make
# format` rewrites them so.
SWIFT_SOURCES := Package.swift Sources Tests Benchmarks/Package.swift Benchmarks/FanOutBenchmarks Benchmarks/WireBenchmarks Benchmarks/RoomsOnCores
format-check:
	$(SWIFT) format lint --strict --recursive --parallel $(SWIFT_SOURCES)
format:
	$(SWIFT) format format --in-place --recursive --parallel $(SWIFT_SOURCES)

# Package.swift's dependencies match each target's imports (Tests/Package/check_dependencies.py,
# which first proves it catches a planted unused dependency and a planted undeclared import).
check-dependencies:
	$(SWIFT) package resolve
	python3 Tests/Package/check_dependencies.py --self-test

# The package on a machine without liburing: its header hidden in a private mount namespace,
# then swift build, the write-path tests, and parley serve saying it sends per connection.
# Needs root; skipped (said) otherwise. Runs before the normal build, which compiles io_uring back in.
without-liburing:
	@if [ "$$(id -u)" != 0 ]; then echo "without-liburing: skipped — a private mount namespace needs root"; exit 0; fi; \
	  bash Tests/Package/without_liburing.sh

# Another package depending on the ParleyLoad library product by version (Tests/Embedding), as
# an embedder's would: SwiftPM refuses that if any target of the product carries unsafeFlags.
# The dependency is this repository's HEAD (committed work only), cloned and tagged 1.0.0.
EMBED_REPO := $(CURDIR)/.build/embedding/parley
embedding-check:
	rm -rf $(EMBED_REPO) Tests/Embedding/Package.resolved && mkdir -p $(dir $(EMBED_REPO))
	git clone -q $(CURDIR) $(EMBED_REPO) && git -C $(EMBED_REPO) tag 1.0.0
	PARLEY_REPOSITORY=file://$(EMBED_REPO) $(SWIFT) package --package-path Tests/Embedding update
	PARLEY_REPOSITORY=file://$(EMBED_REPO) $(SWIFT) build --package-path Tests/Embedding
	Tests/Embedding/.build/debug/EmbedsParleyLoad

# Nothing in the repository may read a path outside it, or cite a document it lacks; the
# checker first proves on planted offences that it catches them.
self-contained:
	python3 Tests/SelfContained/check.py --self-test

# PostgreSQL's server binaries (the cluster's tests and `make cluster` start throwaway servers).
PG_BIN ?= /usr/lib/postgresql/15/bin
postgres:
	@test -x $(PG_BIN)/initdb || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q postgresql-15; }

# Debian's Chromium (Playwright cannot download its own browser here); apt needs root.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }

# The chat page in headless Chromium against a live `parley serve` (Tests/BrowserTests, pytest +
# Playwright in a venv under .build/). Screenshots land in .build/browser-artifacts/.
BROWSER_VENV := .build/browser-venv
browser-test: build chromium
	@test -x $(BROWSER_VENV)/bin/python || python3 -m venv $(BROWSER_VENV)
	@$(BROWSER_VENV)/bin/python -c "import playwright, pytest" 2>/dev/null || $(BROWSER_VENV)/bin/pip install -q "playwright>=1.50" "pytest>=8"
	PARLEY_BIN=.build/debug/parley PARLEY_LOAD_BIN=.build/debug/parley-load $(BROWSER_VENV)/bin/python -m pytest -q Tests/BrowserTests

# Autobahn|Testsuite's fuzzingclient (cases 1-10) against `parley serve --handler echo`; fails on
# any FAILED case. Autobahn is Python 2.7 only: pyenv's 2.7.18, a virtualenv under .build/ with
# the pins of autobahntestsuite 25.10.1's sdist. The HTML report lands in .build/autobahn/report/.
AUTOBAHN_VENV := .build/autobahn-venv
PY27 ?= $(shell pyenv root 2>/dev/null)/versions/2.7.18/bin/python
conformance: release
	@test -x $(AUTOBAHN_VENV)/bin/wstest || { \
	  $(PY27) -m pip install -q 'virtualenv<20.22' && $(PY27) -m virtualenv -q $(AUTOBAHN_VENV) && \
	  $(AUTOBAHN_VENV)/bin/pip install -q setuptools==44.0.0 txaio==2.1.0 incremental==16.10.1 pyOpenSSL==19.1.0 \
	    cryptography==3.3.2 Twisted==19.10.0 zope.interface==4.6.0 jinja2==2.11.3 markupsafe==1.1.1 Werkzeug==1.0.1 \
	    klein==17.10.0 service_identity==18.1.0 unittest2==1.1.0 six==1.16.0 'autobahn[accelerate,twisted]==0.10.9' && \
	  $(AUTOBAHN_VENV)/bin/pip install -q --no-deps autobahntestsuite==25.10.1; }
	python3 Tests/Conformance/autobahn.py --wstest $(AUTOBAHN_VENV)/bin/wstest --parley .build/release/parley

# Parley's fan-out p99 against the C reference server in the same run: fails past 1.6x (best of
# two tries each; past it, two more each and the best of four), or on any lost delivery. Release
# builds; the reference server is compiled from Benchmarks/reference/.
perf-gate: release
	python3 Benchmarks/compare_servers.py --gate

# parley-load checked against a client it did not write: the C probe client
# (Benchmarks/reference/probe-client.c) and parley-load, alternating, on the C reference server
# and on `parley serve`: p50, p99, counts and CPU per received frame side by side (out/xcheck.*).
xcheck: release
	python3 Benchmarks/xcheck.py --out out

# The small cross-check in make test: 200 clients x 50 msg/s; counts equal and complete,
# parley-load's p50, p99 and CPU per frame within XCHECK_MARGIN of the C client's (medians of
# three alternating rounds each; a ratio past the margin is measured again, three more rounds
# each, and judged on the medians of six — a count that is off is not). 1.5: measured 1.07-1.21x with the direct receive path (NIO's
# path was 1.5-1.7x). At 10 msg/s (8,000 frames a round) parley-load's fixed cost per second
# (~14 ms of CPU a second with 200 idle clients, measured 2026-12-01 on an AMD EPYC VM) is half
# its CPU per frame: 1.44-1.64x for this commit and the one before alike, 0.93-1.00x at 50 msg/s.
# The gate is about the cost per frame, so it runs where frames dominate; `make xcheck` (1,000
# clients x 10 msg/s) still shows the fixed cost (1.17-1.23x that day).
XCHECK_MARGIN ?= 1.5
XCHECK_RATE ?= 50
xcheck-gate: release
	python3 Benchmarks/xcheck.py --gate --rate $(XCHECK_RATE) --margin $(XCHECK_MARGIN)

# parley-load overloaded on purpose against the C server must say GENERATOR-BOUND in its summary,
# JSON and HTML and fail a latency threshold with that reason; a light run must be valid. And near
# its open-files limit it holds connects back rather than fail them (a server slow to upgrade).
harness-self-check: release
	python3 Tests/HarnessSelfCheck/generator_bound.py
	python3 Tests/HarnessSelfCheck/connect_window.py

# The C client's and the C limit server's room modes (and its io_uring mode) count exactly (Tests/Reference/rooms_modes.py):
# what Benchmarks/rooms_cost.py reads the cost of many rooms with, on both servers.
reference-rooms-test: release
	python3 Tests/Reference/rooms_modes.py

# Regression gating end to end (Tests/Gating/gating.py): a baseline round trip, a known slowdown
# (a delaying relay, 25 % or more as the runs read it) flagged WORSE with 3 runs per side,
# identical setups not flagged in 10 of 10 trials of 5 runs a side made in turn, with the
# catalogue's tolerances, JUnit XML
# checked against a schema with xmllint, the live metrics scraped.
gating-test: release xmllint
	python3 Tests/Gating/gating.py

xmllint:
	@command -v xmllint >/dev/null || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q libxml2-utils; }

# parley serve out of file descriptors (hard limit 128, 300 silent sockets): no busy accept loop,
# a warning at start, and clients served again once descriptors are free.
front-door-test: release
	python3 Tests/FrontDoor/descriptors.py

# Members' fan-out with and without 2,000 half-open sockets (this script's own attacker), read by
# the C probe client and by parley-load against parley serve's default limits; out/slowloris.txt.
# More rounds: make slowloris ARGS="--rounds 3".
slowloris: release
	python3 Benchmarks/slowloris.py --out out $(ARGS)

# The full side-by-side: C limit server, parley serve (direct and NIO write paths), Go gorilla, Node ws, Python websockets, at
# 1k/5k/10k clients x 1 publisher and 1k x 10 publishers at 5/10/15 msg/s, by parley-load and the C client; then capacity and 10,000 idle connections. Writes out/compare-servers.*
compare-servers: release peers
	python3 Benchmarks/compare_servers.py --out out

# Memory per idle connection, every server at 10,000 and 19,500 connections: out/memory.{txt,json}.
compare-memory: release peers
	python3 Benchmarks/compare_servers.py --memory --out out

# A reconnect storm: 5,000 clients as fast as each server takes them (the C client), 3 rounds in
# turn; medians of connects/s and of the server's CPU per connection: out/connects.{txt,json}.
compare-connects: release peers
	python3 Benchmarks/compare_servers.py --connects --out out

# The peers' toolchains from Debian (no network at build time): Go with gorilla/websocket, built
# in GOPATH mode from /usr/share/gocode, and Node's `ws`. The Python peer's venv is made by the script.
peers:
	@command -v go >/dev/null && test -d /usr/share/gocode/src/github.com/gorilla/websocket && \
	  command -v node >/dev/null && test -f /usr/share/nodejs/ws/package.json || { \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q \
	    golang-go golang-github-gorilla-websocket-dev node-ws; }

# Slow consumers and churn under a 1,000-member broadcast against `parley serve` (release):
# members' p99 with and without, delivery ratio for the members that stay. Writes out/faults.txt.
faults: release
	python3 Benchmarks/faults.py

# A bounded soak (not in make test): SOAK_MINUTES (10) of churn and broadcasts against parley
# serve with its RSS sampled every 10 s; fails if RSS grows after warm-up. Writes out/soak.txt.
SOAK_MINUTES ?= 10
soak: release
	SOAK_MINUTES=$(SOAK_MINUTES) python3 Benchmarks/soak.py

# Micro-benchmarks (ordo-one/package-benchmark) in their own package under Benchmarks/.
bench: liburing
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark

run: liburing
	$(SWIFT) run parley serve --port $(PORT)

# A cluster on this machine: a throwaway PostgreSQL and NODES nodes on 127.0.0.11, .12, ...
# (port 8080 each); prints the URLs, stops everything on Ctrl-C.
NODES ?= 4
cluster: release postgres
	python3 Benchmarks/cluster.py run --nodes $(NODES)

# The same workload over 1 node without the bus, then 1, 2, 4, 8 nodes over PostgreSQL:
# out/cluster-sweep.{txt,json,html} with the scaling curve.
SWEEP_NODES ?= 1,2,4,8
cluster-sweep: release postgres
	python3 Benchmarks/cluster.py sweep --nodes $(SWEEP_NODES)

# The scaling lab's simulated hosts (Benchmarks/lab.py: network namespaces on a bridge of their
# own, 169.254.0.0/16, CPU budgets by cgroup): they reach each other and nothing else, a budget
# throttles, and a lab stopped by exit, Ctrl-C or SIGKILL leaves nothing behind. Needs root.
# Distributed parley-load with the real binaries on loopback: 2 agents and 1 agent agree
# (counts equal, p50/p99 within AGENTS_MARGIN), a killed agent exits 4 naming it, a stopped one
# is called stalled, and an agent answers garbage, a wrong version and a second coordinator.
AGENTS_MARGIN ?= 1.5
agents-test: release
	AGENTS_MARGIN=$(AGENTS_MARGIN) python3 Tests/Agents/agents_test.py

# Capacity per node count in the lab of simulated hosts (Benchmarks/scale.py; needs root):
# PostgreSQL, 1, 2 and 4 nodes of SCALE_CPU core each, 2 load agents; a capacity search per
# count, then the table, efficiency, USL fit and curve (out/scale/scale.{json,html}); then the
# same for 50 rooms of skewed sizes (scenarios/scale-rooms.yaml, out/scale-rooms/).
SCALE_NODES ?= 1,2,4
SCALE_CPU ?= 0.15
# Both scenarios run whatever the first one's verdict; the target fails if either missed.
scale: release postgres
	@command -v ip >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2; }
	@status=0; \
	python3 Benchmarks/scale.py --nodes $(SCALE_NODES) --cpu $(SCALE_CPU) --threshold 'scale.efficiency@4 >= 0.8' || status=$$?; \
	python3 Benchmarks/scale.py --nodes $(SCALE_NODES) --cpu $(SCALE_CPU) --scenario scenarios/scale-rooms.yaml \
	  --out out/scale-rooms --offered 100 --bus-rooms 50 --threshold 'scale.efficiency@4 >= 0.9' || status=$$?; \
	exit $$status

# The small lab of make test: 1 vs 2 nodes of 0.15 core, one agent, the same 1,100 members:
# one node misses the SLO, two hold it with nothing lost; the lab leaves nothing behind.
scale-test: release postgres
	@if [ "$$(id -u)" != 0 ]; then echo "scale-test: skipped — network namespaces need root"; exit 0; fi; \
	  command -v ip >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2; }; \
	  python3 Tests/Lab/scale_test.py

lab-test:
	@if [ "$$(id -u)" != 0 ]; then echo "lab-test: skipped — network namespaces need root"; exit 0; fi; \
	  command -v ip >/dev/null && command -v tc >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2; }; \
	  python3 Tests/Lab/lab_test.py

# A scenario's faults: done by parley-load in a real lab (Tests/Lab/faults_test.py): a cut
# between two hosts and a kill, watched from outside at their times, undone, nothing left behind.
lab-faults-test: release
	@if [ "$$(id -u)" != 0 ]; then echo "lab-faults-test: skipped — network namespaces need root"; exit 0; fi; \
	  command -v ip >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2; }; \
	  python3 Tests/Lab/faults_test.py

# scenarios/reconnect-storm.yaml against 4 nodes with one killed mid-run: every member that came
# back must have missed nothing (resume.gaps == 0). out/reconnect-storm.{json,html}.
reconnect-storm: release postgres
	python3 Benchmarks/cluster.py storm

# Failover under load: a primary and a synchronous hot standby, 4 nodes given both hosts,
# scenarios/cluster-ha.yaml; the primary killed mid-run, the standby promoted 2 s later. Judged
# by independent observers: flow again within 10 s, nothing acknowledged lost, no seq reused,
# no duplicates, no resume gaps. out/cluster-ha.{txt,json}, out/cluster-ha-load.{json,html}.
cluster-ha: release postgres
	@python3 -c "import websockets.sync.client" 2>/dev/null || { python3 -m pip install -q "websockets>=12" || python3 -m pip install -q --break-system-packages "websockets>=12"; }
	python3 Benchmarks/cluster_ha.py

# The same with an outage instead: one durable PostgreSQL killed and started again OUTAGE
# seconds later, the nodes' outbox TTL OUTBOX_TTL: within it nothing is lost or doubled; past
# it the older held messages are refused (`unavailable`), never half-delivered.
# out/cluster-outage-OUTAGE.{txt,json}.
OUTAGE ?= 2
OUTBOX_TTL ?= 30
cluster-outage: release postgres
	@python3 -c "import websockets.sync.client" 2>/dev/null || { python3 -m pip install -q "websockets>=12" || python3 -m pip install -q --break-system-packages "websockets>=12"; }
	python3 Benchmarks/cluster_ha.py --outage $(OUTAGE) --outbox-ttl $(OUTBOX_TTL)

# Partitions in the lab (Benchmarks/chaos.py; needs root): n1 cut from PostgreSQL for 5 s and
# for 30 s, n1 cut from its clients 10 s, PostgreSQL cut from every node 10 s, each under parley-load with independent
# observers; after each heal member lists, names, seqs, deliveries and resumes are judged.
# CASES picks some (comma-separated). out/chaos/chaos.{txt,json}.
CASES ?= node-pg-5,node-pg-30,clients-n1-10,db-all-10
chaos: release postgres
	@if [ "$$(id -u)" != 0 ]; then echo "chaos: needs root (network namespaces)"; exit 1; fi
	@command -v ip >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2; }
	@python3 -c "import websockets.sync.client" 2>/dev/null || { python3 -m pip install -q "websockets>=12" || python3 -m pip install -q --break-system-packages "websockets>=12"; }
	python3 Benchmarks/chaos.py --cases $(CASES)

# The main job: the default scenario (1,000 clients, under a minute) against a gateway embedded
# in the load process, in release mode. Prints the summary; writes the JSON report.
SCENARIO ?= scenarios/default.yaml
REPORT ?= out/$(basename $(notdir $(SCENARIO))).json
load: liburing
	$(SWIFT) build -c release --product parley-load
	.build/release/parley-load run $(SCENARIO) --out $(REPORT)

# The capacity search: clients double from 64 until fan-out p99 passes 50 ms (scenarios/capacity.yaml),
# then bisect to 10 %. Prints every step and the answer; writes out/capacity.{json,html}.
CAPACITY_SCENARIO ?= scenarios/capacity.yaml
capacity: liburing
	$(SWIFT) build -c release --product parley-load
	.build/release/parley-load capacity $(CAPACITY_SCENARIO) --out out/capacity.json --html out/capacity.html

# A local CA and a certificate for localhost and 127.0.0.1 signed by it, for wss:// by hand:
#   parley serve --tls-cert .build/certs/localhost.pem --tls-key .build/certs/localhost-key.pem
#   parley-load run scenarios/smoke.yaml --target wss://127.0.0.1:8080/ws --ca .build/certs/ca.pem
CERTS := .build/certs
certs:
	@command -v openssl >/dev/null || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q openssl libssl-dev; }
	@mkdir -p $(CERTS)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=Parley local CA" \
	  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
	  -keyout $(CERTS)/ca-key.pem -out $(CERTS)/ca.pem
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
	  -keyout $(CERTS)/localhost-key.pem -out $(CERTS)/localhost.csr
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > $(CERTS)/localhost.ext
	openssl x509 -req -in $(CERTS)/localhost.csr -CA $(CERTS)/ca.pem -CAkey $(CERTS)/ca-key.pem -CAcreateserial \
	  -days 30 -extfile $(CERTS)/localhost.ext -out $(CERTS)/localhost.pem
	@echo "certs: $(CERTS)/ca.pem (trust it with --ca), $(CERTS)/localhost.pem + localhost-key.pem (serve with them)"

clean:
	rm -rf .build
