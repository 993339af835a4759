#!/usr/bin/env python3
"""A scenario's `faults:` done by parley-load in a real lab (`make lab-faults-test`; needs root):
`parley serve` on host n1, a stand-in process on n2, parley-load on a1 with
`{at: 2s, cut: [n1, a1], for: 2s}` and `{at: 3s, kill: n2}`. This script watches on its own
clock, from outside parley-load: the blackhole routes appear in both hosts' namespaces and go
2 s later, a connection from a1 to n1 fails during the cut and works after it, the process on
n2 dies by SIGKILL a second after the cut began; parley-load's report says the same, the
messages held during the cut arrive after it with nothing lost, and no route is left behind."""

import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from parleybench.checklist import Checklist
from parleybench.lab import DESCRIPTION, Lab, leftovers
from parleybench.nodes import LOAD, PARLEY, require_binaries
from parleybench.orchestra import stop
from parleybench.route_watch import RouteWatch

PORT = 8080
SCENARIO = """name: lab-faults
description: 100 members on n1; n1 cut from its clients' host for 2 s, then n2's processes killed
target: ws://{n1}:{port}/ws
clients: 100
connect: {{ rate: 500/s }}
message: {{ kind: public, size: 128 }}
phases:
  - {{ name: steady, duration: 7s, publishers: 2, rate: 5/s }}
faults:
  - {{ at: 2s, cut: [n1, a1], for: 2s }}
  - {{ at: 3s, kill: n2 }}
"""
PROBE = "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.3)"


def reaches(lab, host, peer):
    probe = subprocess.run(lab.command(host, [sys.executable, "-c", PROBE, lab.address[peer], str(PORT)]),
                           capture_output=True, timeout=10)
    return probe.returncode == 0


def main():
    checks = Checklist()
    check = checks.check
    require_binaries()
    if leftovers():
        sys.exit(f"lab-faults-test: a lab is already up: {leftovers()}")
    with tempfile.TemporaryDirectory() as directory, Lab(["n1", "n2", "a1"]) as lab:
        with open(DESCRIPTION) as f:
            described = json.load(f)["hosts"]
        check(described["n1"] == {"namespace": lab.namespace("n1"), "address": lab.address["n1"]},
              f"the lab describes itself at {DESCRIPTION}")
        node = lab.popen("n1", [PARLEY, "serve", "--host", lab.address["n1"], "--port", str(PORT), "--no-web",
                                "--log-level", "error"], stdout=subprocess.PIPE, text=True)
        victim = lab.popen("n2", ["sleep", "600"])
        load = None
        try:
            if "parley listening" not in node.stdout.readline():
                sys.exit("lab-faults-test: parley serve did not start on n1")
            scenario = os.path.join(directory, "faults.yaml")
            with open(scenario, "w") as f:
                f.write(SCENARIO.format(n1=lab.address["n1"], port=PORT))
            report_path = os.path.join(directory, "report.json")
            watches = {host: RouteWatch(lab, host) for host in ("n1", "a1")}
            for watch in watches.values():
                watch.start()
            load = lab.popen("a1", [LOAD, "run", scenario, "--quiet", "--lab", DESCRIPTION, "--out", report_path],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            cut = watches["n1"].wait_for_cut(30, alive=lambda: load.poll() is None)
            check(cut is not None, "the cut's blackhole route appeared in n1's namespace")
            check(watches["a1"].appeared is not None and abs(watches["a1"].appeared - (cut or 0)) < 0.2,
                  "and in a1's, at the same time")
            time.sleep(0.3)
            check(not reaches(lab, "a1", "n1"), "during the cut a1 cannot reach n1")
            victim.wait(timeout=10)
            killed = time.monotonic()
            check(victim.returncode == -9, f"n2's process was killed outright (exit {victim.returncode})")
            check(cut is not None and 0.7 < killed - cut < 1.5,
                  f"a second after the cut began, as the scenario says ({killed - (cut or killed):.2f} s)")
            output, _ = load.communicate(timeout=60)
            check(load.returncode == 0, f"parley-load finished (exit {load.returncode})")
            for watch in watches.values():
                watch.stop()
            healed = watches["n1"].gone
            check(healed is not None and cut is not None and 1.8 < healed - cut < 2.4,
                  f"the routes went 2 s after they came ({(healed or 0) - (cut or 0):.2f} s)")
            check(reaches(lab, "a1", "n1"), "after the heal a1 reaches n1 again")
            with open(report_path) as f:
                run = json.load(f)["runs"][0]
            faults = run.get("faults") or [{}, {}]
            check(faults[0].get("fault") == "cut n1 ↔ a1 for 2s" and abs(faults[0].get("appliedAt", 0) - 2) < 0.2
                  and abs(faults[0].get("healedAt", 0) - 4) < 0.2 and "error" not in faults[0],
                  f"the report has the cut done at 2 s and healed at 4 s: {faults[0]}")
            check(faults[1].get("killed") == 1 and abs(faults[1].get("appliedAt", 0) - 3) < 0.2,
                  f"and the kill at 3 s, one process: {faults[1]}")
            metrics = run["metrics"]
            check(metrics["delivery.lost"] == 0 and metrics["delivery.duplicates"] == 0,
                  f"what was held during the cut arrived after it, once: lost {metrics['delivery.lost']:.0f}, "
                  f"duplicates {metrics['delivery.duplicates']:.0f}")
            check(metrics["fanout.max"] > 1_000_000,
                  f"and late: fan-out max {metrics['fanout.max'] / 1e6:.2f} s (p50 {metrics['fanout.p50'] / 1000:.1f} ms)")
            check("fault: cut n1 ↔ a1 for 2s, due at 2 s" in output, "the summary lists the faults")
            left = [watch.blackholes() for watch in watches.values()]
            check(not any(left), f"no blackhole route is left behind: {left}")
        finally:
            stop(load)
            stop(victim)
            stop(node)
    check(not leftovers() and not os.path.exists(DESCRIPTION), "the lab and its description are gone")
    checks.finish("lab-faults-test: parley-load did the scenario's faults at their times, and undid them")


if __name__ == "__main__":
    main()
