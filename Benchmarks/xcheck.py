#!/usr/bin/env python3
"""parley-load checked against a client it did not write: the C probe client
(Benchmarks/reference/probe-client.c) and parley-load put the same load on the same server,
alternating, against the C reference server and against `parley serve`; the table gives both
clients' p50/p99, counts and CPU per received frame, and their ratios.

    xcheck.py                     1,000 clients x 1 publisher x 10 msg/s, 8 s, 3 rounds (make xcheck)
    xcheck.py --gate --rate 50    the small version in make test: 200 clients, median of 3 rounds;
                                  counts must be equal and exact, p50, p99 and CPU per frame
                                  within --margin

Servers run on core 0 and the clients on core 1 where taskset works. A load tool that reads high
when the server is fast is a figure about the load tool: this is how Parley checks its own.
"""

import argparse
import json
import os
import sys

from parleybench.load_runs import run_load
from parleybench.orchestra import LOAD, PARLEY, free_port, limit_server, median, parley_server, probe_client


def run_parley_load(server, clients, rate, seconds):
    """parley-load's figures through the comparison's own runner (same scenario, same pinning)."""
    figures = run_load(server, clients, 1, rate, seconds)
    figures["cpuPerFrameMicros"] = figures["loadCpuSeconds"] * 1e6 / max(figures["received"], 1)
    return figures


def run_probe_client(server, port, clients, rate, seconds):
    return probe_client(server, port, clients, 1, rate, seconds)


def measure(clients, rate, seconds, rounds):
    """{server: {client: [figures per round]}}, the two clients alternating on each server."""
    results = {}
    for name in ("c-limit", "parley"):
        port = free_port()
        server = limit_server(port) if name == "c-limit" else parley_server(port)
        results[name] = {"parley-load": [], "probe-client": []}
        with server:
            for round_index in range(rounds):
                order = ["probe-client", "parley-load"] if round_index % 2 == 0 else ["parley-load", "probe-client"]
                for client in order:
                    figures = (run_probe_client(name, port, clients, rate, seconds) if client == "probe-client"
                               else run_parley_load(server, clients, rate, seconds))
                    results[name][client].append(figures)
                    print(f"  {name:8s} {client:12s} round {round_index + 1}: p50 {figures['p50'] / 1000:6.2f} ms  "
                          f"p99 {figures['p99'] / 1000:6.2f} ms  received {figures['received']}/{figures['expected']}  "
                          f"CPU/frame {figures['cpuPerFrameMicros']:.2f} µs", flush=True)
    return results


def table(results):
    lines = [f"{'server':8s}  {'client':12s}  {'p50 ms':>7s}  {'p99 ms':>7s}  {'received/expected':>19s}  {'CPU/frame µs':>12s}"]
    ratios = {}
    for server, by_client in results.items():
        summary = {}
        for client, runs in by_client.items():
            summary[client] = {key: median([run[key] for run in runs]) for key in ("p50", "p99", "cpuPerFrameMicros")}
            received = sum(run["received"] for run in runs)
            expected = sum(run["expected"] for run in runs)
            lines.append(f"{server:8s}  {client:12s}  {summary[client]['p50'] / 1000:7.2f}  {summary[client]['p99'] / 1000:7.2f}  "
                         f"{f'{received}/{expected}':>19s}  {summary[client]['cpuPerFrameMicros']:12.2f}")
        ratios[server] = {key: summary["parley-load"][key] / max(summary["probe-client"][key], 1e-9)
                          for key in ("p50", "p99", "cpuPerFrameMicros")}
        lines.append(f"{server:8s}  {'ratio':12s}  {ratios[server]['p50']:6.2f}x  {ratios[server]['p99']:6.2f}x  "
                     f"{'':>19s}  {ratios[server]['cpuPerFrameMicros']:11.2f}x")
    return "\n".join(lines), ratios


def gate(results, margin):
    """Counts equal and complete; parley-load's median p50, p99 and CPU per frame within `margin`
    of the C client's.
    Medians of three alternating rounds: one round that a noisy neighbour slowed (or one lucky
    round) on either side does not decide; min against min did, both ways."""
    failures = []
    for server, by_client in results.items():
        for client, runs in by_client.items():
            for run in runs:
                if run["received"] != run["expected"]:
                    failures.append(f"{server}/{client}: received {run['received']} of {run['expected']}")
        load_sent = {run["expected"] // max(run["sent"], 1) for run in by_client["parley-load"]}
        probe_sent = {run["expected"] // max(run["sent"], 1) for run in by_client["probe-client"]}
        if load_sent != probe_sent:
            failures.append(f"{server}: recipients per message differ: parley-load {load_sent}, probe-client {probe_sent}")
        for key in ("p50", "p99"):
            load = median([run[key] for run in by_client["parley-load"]])
            probe = median([run[key] for run in by_client["probe-client"]])
            if load > probe * margin + 200:  # + 200 µs: one scheduler tick on a loaded 2-core box
                failures.append(f"{server}: parley-load {key} {load / 1000:.2f} ms is over {margin}x the C client's "
                                f"{probe / 1000:.2f} ms")
        # The harness's own cost per received frame: at the C client's level since the direct
        # receive path (NIO's path was 1.5-1.7x).
        load = median([run["cpuPerFrameMicros"] for run in by_client["parley-load"]])
        probe = median([run["cpuPerFrameMicros"] for run in by_client["probe-client"]])
        if load > probe * margin:
            failures.append(f"{server}: parley-load's CPU per frame {load:.2f} µs is over {margin}x the C client's {probe:.2f} µs")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gate", action="store_true", help="the small agreement check in make test")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--margin", type=float, default=2.0, help="--gate: largest parley-load / C client ratio")
    parser.add_argument("--out", default=None, help="write the table and the raw figures here (txt, json)")
    args = parser.parse_args()
    for binary in (LOAD, PARLEY):
        if not os.path.exists(binary):
            sys.exit(f"{binary} is missing: run `swift build -c release` first (the Makefile targets do)")
    clients = args.clients or (200 if args.gate else 1000)
    seconds = args.seconds or (4 if args.gate else 8)
    rounds = args.rounds or 3
    print(f"xcheck: {clients} clients x 1 publisher x {args.rate:g} msg/s, {seconds} s, {rounds} rounds per client and server")
    results = measure(clients, args.rate, seconds, rounds)
    text, ratios = table(results)
    print(text)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "xcheck.txt"), "w") as f:
            f.write(text + "\n")
        with open(os.path.join(args.out, "xcheck.json"), "w") as f:
            json.dump({"results": results, "ratios": ratios}, f, indent=2)
    if args.gate:
        failures = gate(results, args.margin)
        # A count that is off is never remade: nothing lost is exact, not a ratio.
        if failures and all("x the C client's" in failure for failure in failures):
            # One noisy spell on this shared machine swings a 4 s round's p99 by 5x (seen: 3.1 to
            # 18.7 ms for the same client in one gate); the same number of rounds again, and the
            # medians of all of them, tell a spell from a harness that costs more. Said.
            print(f"xcheck: {'; '.join(failures)} — {rounds} more rounds each, judged on the medians of {2 * rounds}")
            for server, by_client in measure(clients, args.rate, seconds, rounds).items():
                for client, runs in by_client.items():
                    results[server][client] += runs
            text, ratios = table(results)
            print(text)
            failures = gate(results, args.margin)
        for failure in failures:
            print(f"xcheck: FAIL — {failure}")
        if not failures:
            print(f"xcheck: pass — counts equal and complete, parley-load's latencies and CPU per frame within "
                  f"{args.margin}x of the C client's")
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
