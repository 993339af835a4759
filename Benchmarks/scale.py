#!/usr/bin/env python3
"""Capacity per node count in the scaling lab (Benchmarks/lab.py): does a Parley cluster carry
more as nodes are added, and how much more? `make scale` runs it; needs root.

For each node count N it builds nothing new but starts, inside the lab's hosts:
  pg        a throwaway PostgreSQL (the bus and the shared state; no CPU budget),
  n1..nN    `parley serve --store postgres`, each host with the same CPU budget (--cpu, default
            0.15 core, period 100 ms),
  a1..aK    `parley-load agent` (no budget): the load, split by a coordinator on a1,
then `parley-load capacity SCENARIO --agents ... --target <every node>` finds the most members
the cluster holds within the scenario's SLOs. `parley-load scale` turns the capacities into the
table, the efficiency capacity(N) / (N x capacity(1)), the Universal Scalability Law fit and the
HTML curve, and judges --threshold (e.g. 'scale.efficiency@4 >= 0.8'; exit 99 when one fails).

    scale.py                                  1, 2, 4 nodes, 2 agents (make scale)
    scale.py --nodes 1,2 --agents 1 --quick   the small lab of make test (Tests/Lab/scale_test.py)

Everything the lab started is stopped, and the lab removed, however this ends.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from parleybench.lab import Lab
from parleybench.lab_cluster import AGENT_PORT, LabCluster, start_agent
from parleybench.nodes import LOAD, PARLEY
from parleybench.orchestra import ROOT, stop
from parleybench.postgres import LAB_PORT



def log(line):
    print(f"scale: {line}", flush=True)


def capacity_at(lab, count, args, agents, out, measure_bus=False):
    """One node count: PostgreSQL, the nodes, the search; everything stopped afterwards. With
    `measure_bus`, the bus's ceiling is measured on that PostgreSQL once the nodes are gone."""
    bus = None
    with open(os.path.join(args.out, f"nodes-{count}.log"), "w") as logs, LabCluster(lab, count, logs) as cluster:
        command = [LOAD, "capacity", args.scenario, "--agents", ",".join(f"{lab.address[a]}:{AGENT_PORT}" for a in agents),
                   "--start", str(args.start * count), "--max", str(args.max * count), "--precision", args.precision,
                   "--pause", args.pause, "--max-loop-lag", args.max_loop_lag, "--out", out]
        for target in cluster.targets:
            command += ["--target", target]
        if args.duration:
            command += ["--duration", args.duration]
        log(f"{count} node{'s' if count > 1 else ''}: {' '.join(command[1:])}")
        started = time.monotonic()
        result = subprocess.run(lab.command(agents[0], command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in result.stdout.splitlines():
            if line.startswith(("capacity", "  step", "step", "parley-load:", "agents:")) or "step " in line[:40]:
                print("    " + line, flush=True)
        log(f"{count} node{'s' if count > 1 else ''}: exit {result.returncode} after {time.monotonic() - started:.0f} s")
        if result.returncode not in (0, 99) or not os.path.exists(out):
            print(result.stdout[-3000:])
            raise SystemExit(f"scale: the capacity search at {count} nodes failed (exit {result.returncode})")
        if measure_bus:
            cluster.stop_nodes()
            bus = bus_ceiling(lab, cluster.postgres, rooms=args.bus_rooms)
    return bus


# A public message on a cluster is this one statement (Sources/ParleyCluster/RoomSQL.swift,
# publicMessage): number it under the room row's lock, keep it in the history, NOTIFY it.
BUS_STATEMENT = """WITH r AS (UPDATE parley_room SET event_seq = event_seq + 1, public_seq = public_seq + 1 WHERE id = 1 RETURNING public_seq),
h AS (INSERT INTO parley_history (seq, sender, body, ts) SELECT public_seq, 'bench', 'bus ceiling probe', 0 FROM r)
SELECT pg_notify('parley_room', json_build_object('k', 'public', 's', r.public_seq, 'from', 'bench', 'text', 'x', 'ts', 0)::text) FROM r;
"""


# A public message to a named room (Sources/ParleyCluster/NamedRoomSQL.swift, publicMessage):
# the same statement on that room's row, notified on the room's own channel; pgbench picks one
# of the rooms at random for each.
BUS_ROOMS_STATEMENT = """\\set r random(0, {last})
WITH r AS (UPDATE parley_rooms SET event_seq = event_seq + 1, public_seq = public_seq + 1 WHERE name = 'r' || :r RETURNING public_seq, name),
h AS (INSERT INTO parley_room_history (room, seq, sender, body, ts) SELECT name, public_seq, 'bench', 'bus ceiling probe', 0 FROM r)
SELECT pg_notify('parley_r_bench', json_build_object('k', 'rpublic', 'r', r.name, 's', r.public_seq, 'from', 'bench', 'text', 'x', 'ts', 0)::text) FROM r;
"""


def bus_ceiling(lab, postgres, seconds=5, rooms=0):
    """Publish statements per second PostgreSQL carries on the pg host (pgbench, no node
    listening), with 1 connection (one node) and 4 (four nodes): on the one room's row, or with
    `rooms`, spread over that many named rooms' rows (no row contended: what is left is the
    commits, each with its NOTIFY, which PostgreSQL serializes database-wide)."""
    script = os.path.join(postgres.directory, "bus.sql")
    with open(script, "w") as file:
        file.write(BUS_ROOMS_STATEMENT.format(last=rooms - 1) if rooms else BUS_STATEMENT)
    shutil.chown(script, "postgres")
    if rooms:
        subprocess.run(lab.command(postgres.host, postgres._as_owner(
            ["psql", "-q", "-h", postgres.directory, "-p", str(LAB_PORT), "-U", "postgres", "postgres", "-c",
             f"INSERT INTO parley_rooms (name) SELECT 'r' || g FROM generate_series(0, {rooms - 1}) g ON CONFLICT DO NOTHING"])),
            capture_output=True, text=True)
    ceiling = {}
    for clients in (1, 4):
        result = subprocess.run(lab.command(postgres.host, postgres._as_owner(
            ["pgbench", "-n", "-c", str(clients), "-j", str(clients), "-T", str(seconds), "-f", script,
             "-h", postgres.directory, "-p", str(LAB_PORT), "-U", "postgres", "postgres"])), capture_output=True, text=True)
        tps = [line for line in result.stdout.splitlines() if line.startswith("tps")]
        if result.returncode != 0 or not tps:
            log(f"bus ceiling: pgbench failed ({result.stderr.strip()[-200:]})")
            return None
        ceiling[clients] = float(tps[0].split("=")[1].split()[0])
    where = f"over {rooms} rooms" if rooms else "on the one room"
    log(f"bus ceiling: {ceiling[1]:,.0f} publish statements/s on 1 connection, {ceiling[4]:,.0f} on 4 {where} "
        f"(pgbench -T {seconds}, the publish statement, PostgreSQL on the pg host)")
    return ceiling


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", default="1,2,4", help="node counts, e.g. 1,2,4,8")
    parser.add_argument("--agents", type=int, default=2, help="load agents (hosts a1..aK)")
    parser.add_argument("--agent-threads", type=int, default=1, help="event loops per agent")
    parser.add_argument("--cpu", type=float, default=0.15, help="CPU budget per node host, in cores")
    parser.add_argument("--scenario", default=os.path.join(ROOT, "scenarios", "scale.yaml"))
    parser.add_argument("--start", type=int, default=250, help="first step, members per node")
    parser.add_argument("--max", type=int, default=4000, help="highest step, members per node")
    parser.add_argument("--precision", default="10%")
    parser.add_argument("--pause", default="5s", help="between steps: the cluster frees the last step's members")
    # The agents share this machine's cores with every node and PostgreSQL: their timers run
    # late by a few ms whenever the nodes burst. A quarter of the 100 ms SLO still tells a
    # generator that cannot keep up from one that was merely scheduled late.
    parser.add_argument("--max-loop-lag", default="25ms", help="the agents' generator-bound bound (parley-load --max-loop-lag)")
    parser.add_argument("--duration", help="phase time per step (default: the scenario's)")
    parser.add_argument("--threshold", action="append", default=[], help="e.g. 'scale.efficiency@4 >= 0.8'")
    parser.add_argument("--out", default=os.path.join(ROOT, "out", "scale"))
    parser.add_argument("--offered", type=float, default=20, help="messages/s the scenario publishes, for the bus line")
    parser.add_argument("--bus-rooms", type=int, default=0, help="measure the bus over this many named rooms (a room scenario)")
    args = parser.parse_args()
    counts = sorted({int(n) for n in args.nodes.split(",")})
    if counts[0] != 1:
        sys.exit("scale: the node counts must include 1 (efficiency is relative to one node)")
    for binary in (PARLEY, LOAD):
        if not os.path.exists(binary):
            sys.exit(f"scale: {binary} is missing (make release)")
    os.makedirs(args.out, exist_ok=True)
    agents = [f"a{k + 1}" for k in range(args.agents)]
    hosts = ["pg"] + [f"n{i + 1}" for i in range(max(counts))] + agents
    budgets = {f"n{i + 1}": args.cpu for i in range(max(counts))}
    with Lab(hosts, cpu=budgets) as lab:
        print(lab.describe(), flush=True)
        agent_logs = open(os.path.join(args.out, "agents.log"), "w")
        running = [start_agent(lab, host, args.agent_threads, agent_logs) for host in agents]
        try:
            points, bus = [], None
            for count in counts:
                out = os.path.join(args.out, f"capacity-{count}.json")
                measured = capacity_at(lab, count, args, agents, out, measure_bus=bus is None)
                bus = bus or measured
                points += ["--point", f"{count}={out}"]
        finally:
            for process in running:
                stop(process, timeout=5)
            agent_logs.close()
    command = [LOAD, "scale"] + points + ["--cpu", str(args.cpu),
                                           "--out", os.path.join(args.out, "scale.json"),
                                           "--html", os.path.join(args.out, "scale.html")]
    for threshold in args.threshold:
        command += ["--threshold", threshold]
    code = subprocess.run(command).returncode
    if bus:
        offered = args.offered  # whatever the member count: scale.yaml 4 x 5 msg/s, scale-rooms.yaml 200 x 0.1
        where = f" over {args.bus_rooms} rooms" if args.bus_rooms else ""
        print(f"bus: PostgreSQL carried {bus[1]:,.0f} publish statements/s on 1 connection and {bus[4]:,.0f} on 4{where} "
              f"(pgbench on the pg host); the scenario publishes {offered:g} msg/s — the load that grows with the "
              f"nodes is fan-out (members), which the bus does not carry")
        with open(os.path.join(args.out, "bus.json"), "w") as file:
            json.dump({"publishStatementsPerSecond": {"1": bus[1], "4": bus[4]}, "rooms": args.bus_rooms,
                       "scenarioMessagesPerSecond": offered}, file, indent=2)
    sys.exit(code)


if __name__ == "__main__":
    main()
