#!/usr/bin/env python3
"""Partitions in the lab (make chaos; needs root): PostgreSQL on host `pg`, four `parley serve`
nodes on n1…n4 and the clients on a1, each host a network namespace of the lab
(parleybench/lab.py). A partition is a cut in the scenario's `faults:` block, done by parley-load
itself (`run --lab`): a pair of blackhole routes, one in each host's namespace, so that packets
between them are dropped both ways and nothing is closed: neither end hears of it, as with a
link that went down between switches. This script watches the routes come and go on its own
clock (parleybench/route_watch.py), the clock its observers keep. Under parley-load (300 members over the
four nodes, 10 publishers at 1 msg/s; 20 % drop and come back 4 s after the heal, resuming),
with four independent observers on a1 (parleybench/observer.py, full presence feed), one per
node, the first two publishing every 200 ms:

  node-pg-5    n1 cut from PostgreSQL for 5 s    (shorter than --database-timeout + a beat)
  node-pg-30   n1 cut from PostgreSQL for 30 s   (past --dead-node-after: the others reap it)
  clients-n1-10  n1 cut from its clients (host a1) for 10 s, PostgreSQL reachable
  db-all-10    PostgreSQL cut from every node for 10 s

After each heal: member lists identical at every observer, names unique, no seq naming two
messages, nothing acknowledged lost or heard by some and not others, no duplicates or gaps at an
observer, resume.gaps == 0 for the members who reconnect. What each observer heard during the
split is reported. Writes out/chaos/chaos.{txt,json} and each case's parley-load report.

    make chaos                           every case
    python3 Benchmarks/chaos.py --cases node-pg-5
"""

import argparse
import json
import os
import sys
import threading
import time

from parleybench.lab import DESCRIPTION, Lab
from parleybench.lab_cluster import NODE_PORT, start_node
from parleybench.nodes import LOAD, require_binaries
from parleybench.observer import Observer, end_observed_run
from parleybench.orchestra import ROOT, stop
from parleybench.postgres import Postgres
from parleybench.route_watch import RouteWatch
from parleybench.verdict import judge

CASES = {
    "node-pg-5": {"cut": [("n1", "pg")], "seconds": 5, "what": "n1 cut from PostgreSQL for 5 s"},
    "node-pg-30": {"cut": [("n1", "pg")], "seconds": 30, "what": "n1 cut from PostgreSQL for 30 s"},
    "clients-n1-10": {"cut": [("n1", "a1")], "seconds": 10, "what": "n1 cut from its clients for 10 s, PostgreSQL reachable"},
    "db-all-10": {"cut": [(f"n{i}", "pg") for i in range(1, 5)], "seconds": 10, "what": "PostgreSQL cut from every node for 10 s"},
}
NODES = 4
CLIENTS = 300
BEFORE, AFTER = 4, 14

SCENARIO = """name: chaos-{name}
description: {what}, under load
target: [{targets}]
clients: {clients}
connect: {{ rate: 300/s, timeout: 30s }}
message: {{ kind: public, size: 128 }}
phases:
  - {{ name: warmup, duration: 3s, publishers: 10, rate: 1/s }}
  - {{ name: split, duration: {seconds}s, publishers: 10, rate: 1/s }}
reconnect:
  drop: 20%
  at: {reconnect_at}s
  away: 2s
faults:
{faults}
"""
# The cut, from the start of the phases: the warmup, then BEFORE seconds into the split phase.
CUT_AT = 3 + BEFORE


def faults_block(case):
    return "\n".join(f"  - {{ at: {CUT_AT}s, cut: [{a}, {b}], for: {case['seconds']}s }}" for a, b in case["cut"])


def seen_during(observer, start, end):
    heard, _, _ = observer.snapshot()
    during = [(sender, text) for _, sender, text, arrival in heard if start <= arrival <= end]
    return {"messages": len(during),
            "fromObserver1": sum(1 for sender, _ in during if sender == "observer-1"),
            "fromObserver2": sum(1 for sender, _ in during if sender == "observer-2")}


def run_case(name, case, out, logs):
    hosts = ["pg"] + [f"n{i + 1}" for i in range(NODES)] + ["a1"]
    with Lab(hosts) as lab:
        postgres = Postgres(lab=lab, durable=True)
        postgres.start()
        nodes, observers, load = [], [], None
        stopping = threading.Event()
        try:
            for index in range(NODES):
                nodes.append(start_node(lab, f"n{index + 1}", index, postgres.url, logs))
            targets = [f"ws://{lab.address[f'n{i + 1}']}:{NODE_PORT}/ws" for i in range(NODES)]
            observers = [Observer(f"observer-{i + 1}", target, feed="full", netns=lab.namespace("a1"))
                         for i, target in enumerate(targets)]
            for observer in observers:
                observer.start()
            publishers = observers[:2]
            phase_seconds = BEFORE + case["seconds"] + AFTER
            scenario = os.path.join(out, f"{name}.yaml")
            with open(scenario, "w") as f:
                f.write(SCENARIO.format(name=name, what=case["what"], targets=", ".join(targets), clients=CLIENTS,
                                        seconds=phase_seconds, reconnect_at=CUT_AT + case["seconds"] + 4,
                                        faults=faults_block(case)))
            report = os.path.join(out, f"{name}-load.json")
            # Watched on the host every cut of the case shares a side with (pg, or a1).
            watch = RouteWatch(lab, case["cut"][0][1])
            watch.start()
            load = lab.popen("a1", [LOAD, "run", scenario, "--quiet", "--lab", DESCRIPTION, "--out", report],
                             stdout=logs, stderr=logs)

            def publish():
                count = 0
                while not stopping.is_set():
                    count += 1
                    for publisher in publishers:
                        publisher.publish(f"{publisher.name}-{count}")
                    time.sleep(0.2)

            deadline = time.monotonic() + 60
            while observers[0].first_heard_from_others() is None:
                if time.monotonic() > deadline or load.poll() is not None:
                    raise SystemExit(f"chaos: {name}: parley-load's phases did not begin (exit {load.poll()})")
                time.sleep(0.05)
            began = observers[0].first_heard_from_others()
            publisher_thread = threading.Thread(target=publish, daemon=True)
            publisher_thread.start()
            cut_time = watch.wait_for_cut(CUT_AT + 10, alive=lambda: load.poll() is None)
            if cut_time is None:
                raise SystemExit(f"chaos: {name}: parley-load did not make the cut (exit {load.poll()})")
            print(f"chaos: {name}: {case['what']} ({cut_time - began:.2f} s into the phases, by parley-load)", flush=True)
            healed = watch.wait_for_heal(case["seconds"] + 10, alive=lambda: load.poll() is None)
            if healed is None:
                raise SystemExit(f"chaos: {name}: the cut was not healed in time (exit {load.poll()})")
            watch.stop()
            print(f"chaos: {name}: healed after {healed - cut_time:.2f} s", flush=True)
            # The lists while the load's members are all still there: 10 s after the heal, the
            # reconnecting 20 % back (4 s + 2 s away) and presence settled.
            time.sleep(max(0, healed + 10 - time.monotonic()))
            lists = {o.name: sorted(o.members or []) for o in observers}
            load_status = load.wait(timeout=120 + phase_seconds)
            stopping.set()
            publisher_thread.join(timeout=5)
            time.sleep(4)  # what was held or in flight settles
            result = judge(observers, publishers, cut_time, healed)
            result.update({
                "case": name, "what": case["what"], "cutSeconds": case["seconds"], "cutWatchedSeconds": healed - cut_time,
                "membersIdentical": len({tuple(names) for names in lists.values()}) == 1,
                "memberCounts": {n: len(names) for n, names in lists.items()},
                "namesUnique": all(len(names) == len({x.lower() for x in names}) for names in lists.values()),
                "duringSplit": {o.name: seen_during(o, cut_time, healed) for o in observers},
                "loadExit": load_status,
            })
            with open(report) as f:
                run = json.load(f)["runs"][0]
            metrics = run["metrics"]
            result["load"] = {key: metrics.get(key) for key in (
                "delivery.lost", "delivery.refused", "delivery.duplicates", "resume.gaps", "resume.duplicates", "resume.failed")}
            result["faults"] = run.get("faults") or []
            return result
        finally:
            end_observed_run(stopping, observers, load)
            for node in nodes:
                stop(node, timeout=10)
            postgres.stop()


def checks_for(result):
    return [
        (bool(result["faults"]) and not any("error" in f for f in result["faults"]),
         "parley-load did the cuts and healed them: " + "; ".join(
             f"{f['fault']} at {f.get('appliedAt', 0):.2f} s, healed {f.get('healedAt', 0):.2f} s" for f in result["faults"][:1])
         + f" (watched: {result['cutWatchedSeconds']:.2f} s)"),
        (result["membersIdentical"], f"member lists identical at every observer after the heal: {result['memberCounts']}"),
        (result["namesUnique"], "names unique"),
        (result["seqReused"] == 0, f"seqs naming two messages: {result['seqReused']} {result['seqReusedExamples']}"),
        (result["acknowledgedLost"] == 0, f"acknowledged and lost: {result['acknowledgedLost']} of {result['acknowledged']}"),
        (result["partial"] == 0, f"heard by some and not others: {result['partial']} {result['partialTexts']}"),
        (result["unanswered"] == 0, f"neither acknowledged nor refused: {result['unanswered']} of {result['published']}"),
        (not any(result["duplicates"].values()), f"duplicates at the observers: {result['duplicates']}"),
        (not any(result["gaps"].values()), f"gaps at the observers: {result['gaps']}"),
        (not any(result["outOfOrder"].values()), f"out of order at the observers: {result['outOfOrder']}"),
        (not result["closed"], f"observers cut off by their node: {result['closed'] or 'none'}"),
        (result["load"]["resume.gaps"] == 0 and result["load"]["resume.duplicates"] == 0,
         f"parley-load: members who reconnected resumed without a gap or a duplicate: {result['load']}"),
        (result["load"]["delivery.duplicates"] == 0, "parley-load: no delivery twice"),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of: {', '.join(CASES)}")
    parser.add_argument("--out", default=os.path.join(ROOT, "out", "chaos"))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("chaos: needs root (network namespaces)")
    names = [n for n in args.cases.split(",") if n]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        sys.exit(f"chaos: unknown case {', '.join(unknown)} (known: {', '.join(CASES)})")
    require_binaries()
    os.makedirs(args.out, exist_ok=True)
    results, lines, failed = [], [], 0
    with open(os.path.join(args.out, "chaos.log"), "w") as logs:
        for name in names:
            result = run_case(name, CASES[name], args.out, logs)
            results.append(result)
            lines.append(f"{name}: {result['what']}; observers 1 and 2 published {result['published']}: "
                         f"{result['acknowledged']} acknowledged, {result['refused']} refused; messages flowed again "
                         f"{fmt(result['flowAfterPromoteSeconds'])} s after the heal")
            lines.append("  heard during the split: " + ", ".join(
                f"{o} {d['messages']} (from observer-1 {d['fromObserver1']}, observer-2 {d['fromObserver2']})"
                for o, d in result["duringSplit"].items()))
            for ok, text in checks_for(result):
                failed += not ok
                lines.append(f"  {'ok  ' if ok else 'FAIL'}  {text}")
            print("\n".join(lines[-(len(checks_for(result)) + 2):]), flush=True)
    with open(os.path.join(args.out, "chaos.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(args.out, "chaos.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(f"report: {args.out}/chaos.{{txt,json}}; {failed} check(s) failed")
    sys.exit(1 if failed else 0)


def fmt(seconds):
    return "never" if seconds is None else f"{seconds:.2f}"


if __name__ == "__main__":
    main()
