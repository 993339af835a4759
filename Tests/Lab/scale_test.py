#!/usr/bin/env python3
"""The small scaling lab of `make test` (`make scale-test`; needs root): PostgreSQL, three node
hosts of 0.15 core each and one load agent, all simulated hosts (Benchmarks/lab.py). The same
load — more members than one such node holds within the scenario's SLOs — against 1 node, then
against 3: one node misses the fan-out SLO, three hold it with every delivery received once, the
report keeps the fan-out on the publisher's node apart from that on other nodes, and the lab
leaves nothing behind. (`make scale` measures the whole curve.)"""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from parleybench.checklist import Checklist
from parleybench.lab import Lab, leftovers
from parleybench.orchestra import stop
from parleybench.lab_cluster import AGENT_PORT, LOAD, LabCluster, start_agent

# More than one 0.15-core node holds at 20 msg/s. It was 1,000 (1.4x a node's ~700-750 measured by
# make scale) until the io_uring write path and one event loop per usable core (issue 16): then
# one node held 1,000 at p99 93.5 ms, so the load rose to 1,400 (three nodes held 1,000 at 13 ms).
# Why three nodes, not two: a budgeted node's tail is its waits for the next quota period, so a node
# holds a 100 ms p99 only well below its budget, while the machine's speed (and so every node's
# capacity) drifts by a third between runs on this shared host. Two nodes left too narrow a band —
# at 1,100 members they held in seven runs out of eight on one day and at 1,000 missed in five
# of six on a slower one (throttled in half their periods); three nodes carry a third each.
CLIENTS = int(os.environ.get("SCALE_TEST_CLIENTS", "1400"))
NODES = 3
# A run on several nodes that misses the SLO, or that the agent calls generator-bound (exit 3),
# is made once more (and said): one slow spell on a shared machine is not the cluster's
# capacity, nor the agent's; missing twice in a row is.
REMAKES = 1
SLO_MICROS = 100_000
# The agent shares the machine's two cores with every node and PostgreSQL, as in `make scale`
# (Benchmarks/scale.py): its timers run late by a few ms whenever the nodes burst, so the same
# bound as there, a quarter of the SLO, tells an agent that cannot keep up from one scheduled
# late (seen 2026-12-01: loop lag p99 11.1 ms against the 10 ms default, with the agent's loops
# 6 % and 30 % busy).
MAX_LOOP_LAG = "25ms"
GENERATOR_BOUND = 3


def measure(lab, count, out, logs, check, remakes_left):
    """One run of the scenario against `count` fresh nodes over a fresh PostgreSQL: its report,
    and whether it is to be made again (generator-bound while a remake is left)."""
    with LabCluster(lab, count, logs) as cluster:
        command = [LOAD, "run", os.path.join(ROOT, "scenarios", "scale.yaml"), "--clients", str(CLIENTS),
                   "--agents", f"{lab.address['a1']}:{AGENT_PORT}", "--max-loop-lag", MAX_LOOP_LAG, "--quiet", "--out", out]
        for target in cluster.targets:
            command += ["--target", target]
        before = {i: lab.throttling(f"n{i + 1}") for i in range(count)}
        result = subprocess.run(lab.command("a1", command), capture_output=True, text=True, timeout=300)
        for i in range(count):
            (periods, throttled, held), (periods0, throttled0, held0) = lab.throttling(f"n{i + 1}"), before[i]
            print(f"      n{i + 1}: held back by its budget in {throttled - throttled0} of {periods - periods0} "
                  f"periods ({held - held0:.0f} ms in all)", flush=True)
    again = remakes_left and result.returncode == GENERATOR_BOUND and os.path.exists(out)
    if again:
        print(f"      {count} node(s): the agent was generator-bound (exit 3): made once more, a fresh cluster", flush=True)
    else:
        check(result.returncode in (0, 99) and os.path.exists(out),
              f"{count} node(s): the run finished (exit {result.returncode}) {result.stderr.strip()[-200:]}")
    if not os.path.exists(out):
        return None, False
    run = json.load(open(out))["runs"][0]
    overall = run["overall"]
    print(f"      {count} node(s), {CLIENTS} members: fan-out p50 {overall['fanout']['p50'] / 1000:.1f} ms, "
          f"p99 {overall['fanout']['p99'] / 1000:.1f} ms, {overall['received']}/{overall['expected']} received, "
          f"{overall['duplicates']} duplicates", flush=True)
    return run, again


def main():
    checks = Checklist()
    check = checks.check

    if leftovers():
        sys.exit(f"scale-test: a lab is already up: {leftovers()}")
    work = tempfile.mkdtemp(prefix="parley-scale-test-")
    results = {}
    cluster_runs = []  # a remade run's first attempt must still have lost nothing
    node_hosts = [f"n{i + 1}" for i in range(NODES)]
    with Lab(["pg"] + node_hosts + ["a1"], cpu={host: 0.15 for host in node_hosts}) as lab:
        print(lab.describe(), flush=True)
        logs = open(os.path.join(work, "processes.log"), "w")
        agent = start_agent(lab, "a1", 1, logs)
        try:
            for count in (1, NODES):
                remakes = REMAKES if count > 1 else 0
                for attempt in range(1 + remakes):
                    out = os.path.join(work, f"nodes-{count}-{attempt + 1}.json")
                    run, again = measure(lab, count, out, logs, check, remakes_left=attempt < remakes)
                    if run is None:
                        break
                    if again:
                        cluster_runs.append(run)  # generator-bound, but it must still have lost nothing
                        continue
                    results[count] = run
                    cluster_runs += [run] if count > 1 else []
                    if count == 1 or run["overall"]["fanout"]["p99"] < SLO_MICROS:
                        break
                    if attempt < REMAKES:
                        print(f"      {count} nodes missed the SLO (p99 {run['overall']['fanout']['p99'] / 1000:.1f} ms): "
                              "made once more, a fresh cluster", flush=True)
        finally:
            stop(agent, timeout=5)
            logs.close()
    if 1 in results and NODES in results:
        one, many = results[1]["overall"], results[NODES]["overall"]
        check(one["fanout"]["p99"] >= SLO_MICROS, f"1 node misses the SLO: p99 {one['fanout']['p99'] / 1000:.1f} ms ≥ 100 ms")
        check(many["fanout"]["p99"] < SLO_MICROS, f"{NODES} nodes hold it: p99 {many['fanout']['p99'] / 1000:.1f} ms < 100 ms")
        for run in cluster_runs:
            made = run["overall"]
            check(made["received"] == made["expected"] > 0 and made["duplicates"] == 0,
                  f"{NODES} nodes: every delivery once ({made['received']}/{made['expected']}, {made['duplicates']} duplicates)")
        check(results[NODES]["connect"]["connected"] == CLIENTS, f"{NODES} nodes: all {CLIENTS} members connected")
        nodes = results[NODES].get("nodes") or {}
        same, other = nodes.get("sameNode", {}).get("count", 0), nodes.get("otherNodes", {}).get("count", 0)
        check(same > 0 and other > 0 and same + other == many["received"] and len(nodes.get("perNode", [])) == NODES,
              f"{NODES} nodes: fan-out kept apart by node — {same} on the publisher's node "
              f"(p99 {nodes.get('sameNode', {}).get('p99', 0) / 1000:.1f} ms), {other} on other nodes "
              f"(p99 {nodes.get('otherNodes', {}).get('p99', 0) / 1000:.1f} ms)")
        check("nodes" not in results[1], "1 node: no by-node split (one target)")
    check(not leftovers(), f"the lab left nothing behind: {leftovers()}")
    if checks.failures:
        print(f"logs: {work}")
    checks.finish("scale-test: passed")


if __name__ == "__main__":
    main()
