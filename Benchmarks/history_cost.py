#!/usr/bin/env python3
"""What the resume history costs the fan-out: `parley serve` with its default history (500
messages) and with none (`--history-size 0`), read by the independent C probe client, rounds
alternating so a drift of the machine lands on both. Server on core 0, client on core 1.
With --cluster the server is a cluster node over a throwaway PostgreSQL: every public message
goes through the database, whose statement keeps the history row too (or not, with 0).

    history_cost.py [--rounds 3] [--clients 1000] [--rate 10] [--seconds 8] [--cluster]
"""

import argparse
import contextlib

from parleybench.orchestra import free_port, median, parley_server, probe_client
from parleybench.postgres import Postgres


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--cluster", action="store_true", help="one cluster node over PostgreSQL")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        store = []
        if args.cluster:
            postgres = Postgres()
            postgres.start()
            stack.callback(postgres.stop)
            store = ["--store", "postgres", "--postgres-url", postgres.url, "--node-id", "node-1"]
        measure(args, store)


def measure(args, store):
    results = {"history 500": [], "no history": []}
    for round_index in range(args.rounds):
        order = ["history 500", "no history"] if round_index % 2 == 0 else ["no history", "history 500"]
        for label in order:
            port = free_port()
            extra = store + (["--history-size", "0"] if label == "no history" else [])
            with parley_server(port, extra):
                figures = probe_client("parley", port, args.clients, 1, args.rate, args.seconds)
            results[label].append(figures)
            print(f"  round {round_index + 1} {label:11s} p50 {figures['p50'] / 1000:6.2f} ms  p99 {figures['p99'] / 1000:6.2f} ms  "
                  f"received {figures['received']}/{figures['expected']}", flush=True)
    print(f"history cost{' (cluster node over PostgreSQL)' if store else ''}: {args.clients} clients x {args.rate} msg/s, {args.seconds} s, medians of {args.rounds} rounds (C probe client)")
    base = {key: median([run[key] for run in results["no history"]]) for key in ("p50", "p99")}
    for label, runs in results.items():
        p50, p99 = median([run["p50"] for run in runs]), median([run["p99"] for run in runs])
        print(f"  {label:11s} p50 {p50 / 1000:6.2f} ms ({p50 / base['p50']:.2f}x)  p99 {p99 / 1000:6.2f} ms ({p99 / base['p99']:.2f}x)")


if __name__ == "__main__":
    main()
