#!/usr/bin/env python3
"""Parley beside the servers a user would pick instead, and beside the physical limit: the C
reference server (Benchmarks/reference/limit-server.c) with each broadcast's sends as one
io_uring submission (c-limit-uring, the limit) and with one send() per recipient (c-limit), Go's
gorilla/websocket hub, Node's `ws`, Python's `websockets` (Benchmarks/peers/) and `parley serve`,
one after another in the same run,
at the same points, each measured twice — by parley-load and by the independent C client
(Benchmarks/reference/probe-client.c) — with Parley's verdict against every peer.

    compare_servers.py                      the full comparison (make compare-servers)
    compare_servers.py --seconds 8          shorter runs
    compare_servers.py --rounds 3           every server at every point three times in turn: medians
    compare_servers.py --servers parley,node-ws --points 1k,1kx10@15
    compare_servers.py --memory             memory per idle connection only, at 10,000 and 19,500
                                            (RSS growth over the idle server, peak, ÷ connections)
    compare_servers.py --connects           connects per second only: 5,000 clients as fast as each
                                            server takes them, server CPU per connection, 3 rounds
    compare_servers.py --gate               the CI gate (make perf-gate): fails if Parley's fan-out
                                            p99 exceeds 1.6x the io_uring C server's, or if any delivery is lost

Points: 1k, 5k, 10k clients with one publisher (10 msg/s; 5 msg/s at 10k), and 1,000 clients
with 10 publishers at 5, 10 and 15 msg/s each (50,000-150,000 deliveries/s). Servers run pinned
to core 0 and the load to core 1 where `taskset` works. CPU per delivery is the server's CPU
over the C client's timed window (connecting left out) per delivery.
"""

import argparse
import json
import os
import statistics
import sys

from parleybench.comparison_report import write_outputs
from parleybench.load_runs import run_load
from parleybench.orchestra import LOAD, PARLEY, ROOT, build_c, limit_server, parley_server, probe_client, raise_open_files_limit
from parleybench.peer_servers import go_peer, missing_toolchains, node_peer, python_peer

# The CI gate's bound on Parley's fan-out p99 over the C limit server's (200 clients x 50 msg/s,
# best of two each, read by parley-load). Against the send-per-recipient limit it measured
# 1.12-1.38x with the direct write path, 1.26x with io_uring (NIO's pipeline alone: 1.53-1.63x);
# against the io_uring limit, the one it reads now, 1.11x and 1.23x (2026-12-04). 1.6x leaves a
# fifth of headroom for a noisy machine and still fails a return to the old write path. The C client's reading of the larger
# points is the full comparison's (docs/PERFORMANCE.md, "Parley beside its peers").
GATE_RATIO = 1.6
CONNECT_CLIENTS, CONNECT_ROUNDS = 5000, 3

# name: (clients, publishers, msg/s per publisher)
POINTS = {
    "1k": (1000, 1, 10),
    "5k": (5000, 1, 10),
    "10k": (10000, 1, 5),
    "1kx10@5": (1000, 10, 5),
    "1kx10@10": (1000, 10, 10),
    "1kx10@15": (1000, 10, 15),
}
SERVERS = {
    # The limit: each broadcast's sends as one io_uring submission; and one send() per recipient.
    "c-limit-uring": lambda: limit_server(9008, uring=True),
    "c-limit": lambda: limit_server(9001),
    "parley": lambda **quotas: parley_server(9003, **quotas),
    # The same server with a send per connection instead of io_uring, and with every frame
    # through NIO's pipeline: what each write path buys.
    "parley-direct": lambda **quotas: parley_server(9007, extra=("--write-path", "direct"), **quotas),
    "parley-nio": lambda **quotas: parley_server(9006, extra=("--write-path", "nio"), **quotas),
    "node-ws": lambda: node_peer(9005),
    "go-gorilla": lambda: go_peer(9004),
    "python": lambda: python_peer(9002),
}


def ok(figures, limit_ms=100):
    return figures["lost"] == 0 and figures["connectErrors"] == 0 and figures["p99"] < limit_ms * 1000


def capacity(server, clients=1000, seconds=8):
    """Raises the message rate until p99 passes 100 ms or a delivery is lost; the last passing
    step's deliveries/s is the sustainable rate. A step where parley-load itself was the
    bottleneck (validity generator-bound) ends the search too: past it the figures are about the
    load generator, so the answer is "at least" the last valid step (`atLeast`)."""
    best, steps = None, []
    for rate in [10, 20, 40, 60, 80, 100, 130, 160, 200, 250, 300]:
        figures = run_load(server, clients, 10, rate / 10, seconds)
        steps.append(figures)
        if figures["validity"] == "generator-bound":
            if best:
                best = dict(best, atLeast=True)
            break
        if not ok(figures):
            break
        best = figures
    return best, steps


def gate(args):
    """Best of two tries each, alternating; a verdict past the bound is made again with two more
    tries each and judged on the best of four, and says so: one noisy spell on this shared machine
    (seen: the limit's p99 3.49 ms and 6.48 ms in the two tries of one CI run) is not a regression,
    missing twice is."""
    build_c("limit-server")
    chosen = {"c-limit-uring": limit_server(9008, uring=True), "parley": parley_server(9003)}
    best = {}

    def tries(first, last):
        """Tries `first`..`last` of each server, alternating; False when one lost anything."""
        for attempt in range(first, last + 1):
            for name in ("c-limit-uring", "parley"):
                with chosen[name] as server:
                    figures = run_load(server, 200, 5, 10, 5)
                print(f"  {name:8s} try {attempt}: p50 {figures['p50'] / 1000:.2f} ms, p99 {figures['p99'] / 1000:.2f} ms, "
                      f"lost {figures['lost']}, connect errors {figures['connectErrors']}")
                if figures["lost"] or figures["connectErrors"] or figures["duplicates"]:
                    print(f"perf gate: FAIL — {name} lost {figures['lost']} deliveries, {figures['connectErrors']} connect "
                          f"errors, {figures['duplicates']} duplicates")
                    return False
                if name not in best or figures["p99"] < best[name]["p99"]:
                    best[name] = figures
        return True

    def ratio():
        return best["parley"]["p99"] / max(best["c-limit-uring"]["p99"], 1)

    if not tries(1, 2):
        return 1
    made = 2
    if ratio() > GATE_RATIO:
        print(f"perf gate: {ratio():.2f}x after two tries each, past {GATE_RATIO}x: two more each, judged on the best of four")
        if not tries(3, 4):
            return 1
        made = 4
    verdict = "pass" if ratio() <= GATE_RATIO else "FAIL"
    print(f"perf gate: {verdict} — Parley fan-out p99 {best['parley']['p99'] / 1000:.2f} ms is {ratio():.2f}x the C limit "
          f"io_uring server's {best['c-limit-uring']['p99'] / 1000:.2f} ms (best of {made} each, read by parley-load; the gate is {GATE_RATIO}x)")
    return 0 if ratio() <= GATE_RATIO else 1


def prepare(servers):
    """What every comparison needs first: the peers' toolchains (or a clear exit), the open-files
    limit raised for thousands of clients (the servers inherit it), the C limit server built."""
    lacking = missing_toolchains(servers)
    if lacking:
        sys.exit(f"compare-servers: missing {lacking} — `make peers` installs them from Debian's packages")
    raise_open_files_limit()
    build_c("limit-server")


def memory(args):
    """Each server's RSS growth per connection with 10,000 and then 19,500 members that hold still
    (one message a second), the server fresh for each count; out/memory.{txt,json}."""
    prepare(args.servers)
    results, lines = {}, ["memory per idle connection: RSS growth (peak over the run) ÷ connections, KiB"]
    for name in args.servers:
        results[name] = {}
        for clients in (10000, 19500):
            # 19,500 Parley connections fit 20,000 open files only with the pending upgrades it leaves.
            quotas = {"max_connections": 19500, "pending_upgrades": None} if name.startswith("parley") else {}
            server = SERVERS[name](**quotas)
            with server:
                figures = run_load(server, clients, 1, 1, 5, sample_rss=True)
            results[name][str(clients)] = figures
            lines.append(f"  {name:12s} {clients:6d}: {figures['rssPerConnection'] / 1024:6.1f} KiB, "
                         f"connect errors {figures['connectErrors']}, lost {figures['lost']}")
            print(lines[-1], flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "memory.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(args.out, "memory.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(f"report: {args.out}/memory.{{txt,json}}")
    return 0


def connects(args):
    """A reconnect storm: 5,000 clients connecting as fast as each server takes them (the C
    client, --connect-rate 1e6; Parley's clients named, `?members=none`), the server fresh for
    each, three rounds with the servers in turn; the medians of connects per second and of the
    server's CPU per connection; out/connects.{txt,json}."""
    prepare(args.servers)
    results = {name: [] for name in args.servers}
    for round_number in range(1, CONNECT_ROUNDS + 1):
        for name in args.servers:
            with SERVERS[name]() as server:
                figures = probe_client(server.name, server.port, CONNECT_CLIENTS, 1, 1, 1, server=server, connect_rate=1e6)
            results[name].append({key: figures.get(key) for key in ("connectSeconds", "connectsPerSecond",
                                                                    "serverCpuMicrosPerConnection")})
            print(f"  round {round_number} {name:14s} {figures['connectSeconds']:.2f} s, "
                  f"{figures['connectsPerSecond']:,.0f}/s, {figures['serverCpuMicrosPerConnection']:.0f} µs CPU each", flush=True)
    lines = [f"connects: {CONNECT_CLIENTS:,} clients as fast as each server takes them (C client; Parley's named), "
             f"medians of {CONNECT_ROUNDS} rounds"]
    medians = {}
    for name, rounds in results.items():
        medians[name] = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
        m = medians[name]
        lines.append(f"  {name:14s} {m['connectSeconds']:5.2f} s  {m['connectsPerSecond']:8,.0f} connects/s  "
                     f"{m['serverCpuMicrosPerConnection']:5.0f} µs server CPU per connection")
    print("\n".join(lines))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "connects.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(args.out, "connects.json"), "w") as f:
        json.dump({"rounds": results, "medians": medians}, f, indent=2)
    print(f"report: {args.out}/connects.{{txt,json}}")
    return 0


def median_of_rounds(rounds):
    """One result per server and point from several rounds: the median of each latency and CPU
    figure, the counts summed (a delivery lost in any round is lost), every round kept in
    `rounds`. The report's ratios are then of medians."""
    merged = {}
    for name, first in rounds[0].items():
        merged[name] = {key: value for key, value in first.items() if key != "points"}
        merged[name]["points"], merged[name]["rounds"] = {}, [r[name]["points"] for r in rounds]
        for point in first["points"]:
            figures = [r[name]["points"][point] for r in rounds]
            point_figures = {}
            for client, medians, sums in (("parleyLoad", ("p50", "p99", "p999", "cpuMicrosPerDelivery"), ("lost", "duplicates", "connectErrors")),
                                          ("cClient", ("p50", "p99", "serverCpuMicrosPerDelivery"), ("expected", "received"))):
                combined = dict(figures[0][client])
                for key in medians:
                    values = [f[client][key] for f in figures if f[client].get(key) is not None]
                    combined[key] = statistics.median(values) if values else None
                for key in sums:
                    combined[key] = sum(f[client][key] for f in figures)
                if client == "parleyLoad":
                    validities = {f[client]["validity"] for f in figures}
                    combined["validity"] = "valid" if validities == {"valid"} else ",".join(sorted(validities))
                point_figures[client] = combined
            merged[name]["points"][point] = point_figures
    return merged


def full(args):
    prepare(args.servers)
    rounds = []
    for round_number in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"round {round_number} of {args.rounds}", flush=True)
        results = {}
        rounds.append(results)
        for name in args.servers:
            server = SERVERS[name]()
            results[name] = {"points": {}}
            with server:
                for point in args.points:
                    clients, publishers, rate = POINTS[point]
                    print(f"  {name:10s} {point:9s} parley-load …", end="", flush=True)
                    load = run_load(server, clients, publishers, rate, args.seconds)
                    print(f" p99 {load['p99'] / 1000:.1f} ms; C client …", end="", flush=True)
                    probe = probe_client(server.name, server.port, clients, publishers, rate, args.seconds, server=server)
                    print(f" p99 {probe['p99'] / 1000:.1f} ms, {probe.get('serverCpuMicrosPerDelivery') or 0:.2f} µs/delivery",
                          flush=True)
                    results[name]["points"][point] = {"parleyLoad": load, "cClient": probe}
                if args.capacity and round_number == 1:
                    # The same connections with nobody publishing, then 10,000 idle: memory per connection.
                    results[name]["idle10k"] = run_load(server, 10000, 0, 0, 3, sample_rss=True)
                    best, steps = capacity(server)
                    results[name]["capacity"] = best
                    results[name]["capacitySteps"] = steps
    results = median_of_rounds(rounds) if len(rounds) > 1 else rounds[0]
    write_outputs(results, POINTS, args.out)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memory", action="store_true", help="memory per idle connection only, at 10,000 and 19,500")
    parser.add_argument("--connects", action="store_true", help="connects per second only: 5,000 clients at once, 3 rounds")
    parser.add_argument("--gate", action="store_true", help=f"the CI gate: a small run, Parley p99 <= {GATE_RATIO}x C, nothing lost")
    parser.add_argument("--out", default=os.path.join(ROOT, "out"), help="where the comparison report goes")
    parser.add_argument("--seconds", type=int, default=10, help="length of each timed run (default 10)")
    parser.add_argument("--servers", type=names(SERVERS), default=list(SERVERS),
                        help=f"which servers, comma-separated (default all: {','.join(SERVERS)})")
    parser.add_argument("--points", type=names(POINTS), default=list(POINTS),
                        help=f"which points, comma-separated (default all: {','.join(POINTS)})")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every server at every point this many times in turn; the report gives medians (default 1)")
    parser.add_argument("--no-capacity", dest="capacity", action="store_false",
                        help="skip the capacity search and the 10,000 idle connections")
    args = parser.parse_args()
    for binary in (LOAD, PARLEY):
        if not os.path.exists(binary):
            sys.exit(f"{binary} is missing: run `swift build -c release` first (the Makefile targets do)")
    if not args.gate:
        for limit in ("c-limit", "c-limit-uring"):  # every ratio is to them
            if limit not in args.servers:
                args.servers.insert(0, limit)
    sys.exit(gate(args) if args.gate else memory(args) if args.memory else connects(args) if args.connects else full(args))


def names(known):
    def parse(text):
        chosen = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in chosen if name not in known]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(f"unknown {', '.join(unknown) or 'empty list'}; known: {', '.join(known)}")
        return chosen
    return parse


if __name__ == "__main__":
    main()
