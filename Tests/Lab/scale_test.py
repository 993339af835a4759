#!/usr/bin/env python3
"""The small scaling lab of `make test` (`make scale-test`; needs root): PostgreSQL, two node
hosts of 0.15 core each and one load agent, all simulated hosts (Benchmarks/lab.py). The same
load — more members than one such node holds within the scenario's SLOs — against 1 node, then
against 2: one node misses the fan-out SLO, two hold it with every delivery received once, the
report keeps the fan-out on the publisher's node apart from that on the other node, and the
lab leaves nothing behind. (`make scale` measures the whole curve.)"""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Benchmarks"))
sys.path.insert(0, os.path.join(ROOT, "Tests"))
from checklist import Checklist  # noqa: E402
from lab import Lab, leftovers  # noqa: E402
from orchestra import stop  # noqa: E402
from scale import AGENT_PORT, LOAD, NODE_PORT, LabPostgres, start_agent, start_node  # noqa: E402

# About 1.5x what one 0.15-core node holds at 20 msg/s (capacity ~700-750 measured by make scale).
CLIENTS = int(os.environ.get("SCALE_TEST_CLIENTS", "1100"))
SLO_MICROS = 100_000


def main():
    checks = Checklist()
    check = checks.check

    if leftovers():
        sys.exit(f"scale-test: a lab is already up: {leftovers()}")
    work = tempfile.mkdtemp(prefix="parley-scale-test-")
    results = {}
    with Lab(["pg", "n1", "n2", "a1"], cpu={"n1": 0.15, "n2": 0.15}) as lab:
        print(lab.describe(), flush=True)
        logs = open(os.path.join(work, "processes.log"), "w")
        agent = start_agent(lab, "a1", 1, logs)
        try:
            for count in (1, 2):
                postgres = LabPostgres(lab)
                nodes = []
                try:
                    postgres.start()
                    nodes = [start_node(lab, f"n{i + 1}", i, postgres.url, logs) for i in range(count)]
                    out = os.path.join(work, f"nodes-{count}.json")
                    command = [LOAD, "run", os.path.join(ROOT, "scenarios", "scale.yaml"), "--clients", str(CLIENTS),
                               "--agents", f"{lab.address['a1']}:{AGENT_PORT}", "--quiet", "--out", out]
                    for i in range(count):
                        command += ["--target", f"ws://{lab.address[f'n{i + 1}']}:{NODE_PORT}/ws"]
                    result = subprocess.run(lab.command("a1", command), capture_output=True, text=True, timeout=300)
                    check(result.returncode in (0, 99) and os.path.exists(out),
                          f"{count} node(s): the run finished (exit {result.returncode}) {result.stderr.strip()[-200:]}")
                    if os.path.exists(out):
                        run = json.load(open(out))["runs"][0]
                        results[count] = run
                        overall = run["overall"]
                        print(f"      {count} node(s), {CLIENTS} members: fan-out p50 {overall['fanout']['p50'] / 1000:.1f} ms, "
                              f"p99 {overall['fanout']['p99'] / 1000:.1f} ms, {overall['received']}/{overall['expected']} received, "
                              f"{overall['duplicates']} duplicates", flush=True)
                finally:
                    for node in nodes:
                        stop(node, timeout=10)
                    postgres.stop()
        finally:
            stop(agent, timeout=5)
            logs.close()
    if 1 in results and 2 in results:
        one, two = results[1]["overall"], results[2]["overall"]
        check(one["fanout"]["p99"] >= SLO_MICROS, f"1 node misses the SLO: p99 {one['fanout']['p99'] / 1000:.1f} ms ≥ 100 ms")
        check(two["fanout"]["p99"] < SLO_MICROS, f"2 nodes hold it: p99 {two['fanout']['p99'] / 1000:.1f} ms < 100 ms")
        check(two["received"] == two["expected"] > 0 and two["duplicates"] == 0,
              f"2 nodes: every delivery once ({two['received']}/{two['expected']}, {two['duplicates']} duplicates)")
        check(results[2]["connect"]["connected"] == CLIENTS, f"2 nodes: all {CLIENTS} members connected")
        nodes = results[2].get("nodes") or {}
        same, other = nodes.get("sameNode", {}).get("count", 0), nodes.get("otherNodes", {}).get("count", 0)
        check(same > 0 and other > 0 and same + other == two["received"] and len(nodes.get("perNode", [])) == 2,
              f"2 nodes: fan-out kept apart by node — {same} on the publisher's node "
              f"(p99 {nodes.get('sameNode', {}).get('p99', 0) / 1000:.1f} ms), {other} on the other node "
              f"(p99 {nodes.get('otherNodes', {}).get('p99', 0) / 1000:.1f} ms)")
        check("nodes" not in results[1], "1 node: no by-node split (one target)")
    check(not leftovers(), f"the lab left nothing behind: {leftovers()}")
    if checks.failures:
        print(f"logs: {work}")
    checks.finish("scale-test: passed")


if __name__ == "__main__":
    main()
