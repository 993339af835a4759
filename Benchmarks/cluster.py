#!/usr/bin/env python3
"""A Parley cluster on this machine: a throwaway PostgreSQL and N `parley serve` nodes, each on
its own loopback address (127.0.0.11, .12, ...) as if on separate hosts.

    cluster.py run --nodes 4          start everything, print the URLs, stop it all on Ctrl-C
                                      (make cluster NODES=4)
    cluster.py sweep --nodes 1,2,4,8  the same parley-load workload against 1 node with the memory
                                      store, then 1, 2, 4, 8 nodes over PostgreSQL; one report
                                      with the scaling curve (make cluster-sweep)
    cluster.py storm                  scenarios/reconnect-storm.yaml against 4 nodes, one of them
                                      killed (SIGKILL) mid-run: its members and the dropped 20 %
                                      come back on other nodes and resume (make reconnect-storm)

PostgreSQL runs from its binaries (PG_BIN, default /usr/lib/postgresql/15/bin) in a temporary
directory on a free loopback port, fsync off; initdb runs as the `postgres` user when this runs
as root. Nothing is left behind.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

from parleybench.nodes import LOAD, require_binaries, start_cluster, stop_cluster
from parleybench.orchestra import ROOT

def run(args):
    require_binaries()
    postgres, nodes = start_cluster(args.nodes)
    print(f"PostgreSQL: {postgres.url}")
    for node in nodes:
        print(f"node {node.host}: {node.url}   chat page: {node.page}")
    print(f"\nparley-load run scenarios/cluster-{args.nodes}.yaml  (or --target each URL above)")
    print("Ctrl-C stops the nodes and PostgreSQL.", flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while not stopping and all(node.process.poll() is None for node in nodes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop_cluster(postgres, nodes)
        print("stopped.")


SWEEP_SCENARIO = """name: cluster-sweep-{label}
description: {clients} clients spread over {count} node(s), {publishers} publishers at {rate:g} msg/s each
target: [{targets}]
clients: {clients}
connect: {{ rate: 1000/s, timeout: 30s }}
message: {{ kind: public, size: 128 }}
phases:
  - {{ name: steady, duration: {seconds}s, publishers: {publishers}, rate: {rate:g}/s }}
"""


def sweep_step(count, store, args, directory):
    label = f"{count}-{store}"
    postgres, nodes = start_cluster(count, store)
    try:
        scenario = os.path.join(directory, f"{label}.yaml")
        with open(scenario, "w") as f:
            f.write(SWEEP_SCENARIO.format(
                label=label, clients=args.clients, count=count, publishers=args.publishers,
                rate=args.rate / args.publishers, seconds=args.seconds,
                targets=", ".join(node.url for node in nodes)))
        report = os.path.join(directory, f"{label}.json")
        result = subprocess.run([LOAD, "run", scenario, "--quiet", "--out", report], capture_output=True, text=True)
        if not os.path.exists(report):
            sys.exit(f"cluster.py: parley-load failed for {label}: {result.stderr or result.stdout}")
        with open(report) as f:
            data = json.load(f)
    finally:
        stop_cluster(postgres, nodes)
    overall = data["runs"][0]["overall"]
    fanout = overall["fanout"]
    return {
        "nodes": count, "store": store, "clients": args.clients, "msgPerSecond": args.rate,
        "expected": overall["expected"], "received": overall["received"], "lost": overall["lost"],
        "duplicates": overall["duplicates"], "p50Ms": fanout["p50"] / 1000, "p99Ms": fanout["p99"] / 1000,
        "maxMs": fanout["max"] / 1000, "deliveriesPerSecond": overall["received"] / overall["seconds"],
    }


def sweep(args):
    require_binaries()
    counts = [int(n) for n in args.nodes.split(",")]
    os.makedirs(args.out, exist_ok=True)
    rows = []
    # Every step's report is kept, an ordinary parley-load report; the page overlaying them is
    # parley-load's own (`report --html`), not drawn here.
    directory = os.path.join(args.out, "cluster-sweep")
    os.makedirs(directory, exist_ok=True)
    steps = [(1, "memory")] + [(count, "postgres") for count in counts]
    for count, store in steps:
        print(f"  {count} node(s), {store} store ...", flush=True)
        rows.append(sweep_step(count, store, args, directory))
    baseline = rows[0]
    for row in rows:
        row["p99VsMemoryMs"] = row["p99Ms"] - baseline["p99Ms"]
        row["p50VsMemoryMs"] = row["p50Ms"] - baseline["p50Ms"]
    write_sweep(rows, args)


def write_sweep(rows, args):
    headers = ["nodes", "store", "clients", "msg/s", "received/expected", "dup", "fan-out p50 (ms)",
               "p99 (ms)", "max (ms)", "p50 - memory (ms)", "p99 - memory (ms)", "deliveries/s"]
    table = [[str(r["nodes"]), r["store"], str(r["clients"]), f"{r['msgPerSecond']:g}",
              f"{r['received']}/{r['expected']}", str(r["duplicates"]), f"{r['p50Ms']:.2f}", f"{r['p99Ms']:.2f}",
              f"{r['maxMs']:.2f}", f"{r['p50VsMemoryMs']:+.2f}", f"{r['p99VsMemoryMs']:+.2f}",
              f"{r['deliveriesPerSecond']:.0f}"] for r in rows]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in table]
    text = "\n".join(lines)
    note = (f"\nOne machine ({os.cpu_count()} cores): every node, PostgreSQL and parley-load share it, so more nodes"
            " add processes, not capacity. The first row is one node without the bus (memory store); the"
            " differences to it are what crossing PostgreSQL costs.\n")
    print(text + "\n" + note)
    with open(os.path.join(args.out, "cluster-sweep.txt"), "w") as f:
        f.write(text + "\n" + note)
    with open(os.path.join(args.out, "cluster-sweep.json"), "w") as f:
        json.dump({"rows": rows, "cores": os.cpu_count()}, f, indent=2)
    reports = [os.path.join(args.out, "cluster-sweep", f"{r['nodes']}-{r['store']}.json") for r in rows]
    page = os.path.join(args.out, "cluster-sweep.html")
    result = subprocess.run([LOAD, "report", *reports, "--html", page], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"cluster.py: parley-load report failed: {result.stderr or result.stdout}")
    print(f"report: {args.out}/cluster-sweep.{{txt,json,html}} (every step's run overlaid), runs in {args.out}/cluster-sweep/")


def storm(args):
    """The reconnect storm against 4 nodes, with node `--kill` killed `--kill-at` seconds into
    the phases (estimated from the connect rate: parley-load connects, settles, then starts)."""
    require_binaries()
    postgres, nodes = start_cluster(4)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    try:
        load = subprocess.Popen([LOAD, "run", args.scenario, "--out", args.out, "--html", args.out.replace(".json", ".html")])
        # 1,000 clients at 500/s, half a second's settle, then the phases.
        time.sleep(1000 / 500 + 0.5 + args.kill_at)
        victim = nodes[args.kill - 1]
        print(f"\ncluster.py: killing node {victim.host} (SIGKILL) about {args.kill_at:g} s into the phases", flush=True)
        victim.process.kill()
        status = load.wait(timeout=300)
    finally:
        stop_cluster(postgres, nodes)
    sys.exit(status)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start PostgreSQL and N nodes until Ctrl-C")
    run_parser.add_argument("--nodes", type=int, default=4)
    sweep_parser = commands.add_parser("sweep", help="the same workload over 1, 2, 4, 8 nodes")
    sweep_parser.add_argument("--nodes", default="1,2,4,8", help="node counts, comma-separated")
    sweep_parser.add_argument("--clients", type=int, default=1000)
    sweep_parser.add_argument("--rate", type=float, default=10, help="public messages per second in all")
    sweep_parser.add_argument("--publishers", type=int, default=10)
    sweep_parser.add_argument("--seconds", type=int, default=20)
    sweep_parser.add_argument("--out", default=os.path.join(ROOT, "out"))
    storm_parser = commands.add_parser("storm", help="the reconnect storm with a node killed mid-run")
    storm_parser.add_argument("--scenario", default=os.path.join(ROOT, "scenarios", "reconnect-storm.yaml"))
    storm_parser.add_argument("--kill", type=int, default=2, help="which node (1-4) to kill")
    storm_parser.add_argument("--kill-at", type=float, default=14, help="seconds into the phases")
    storm_parser.add_argument("--out", default=os.path.join(ROOT, "out", "reconnect-storm.json"))
    args = parser.parse_args()
    if args.command == "storm":
        storm(args)
    elif args.command == "run":
        if not 1 <= args.nodes <= 200:
            sys.exit("cluster.py: --nodes must be 1..200")
        run(args)
    else:
        sweep(args)


if __name__ == "__main__":
    main()
