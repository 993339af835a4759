#!/usr/bin/env python3
"""Failover under load (make cluster-ha): a PostgreSQL primary with a hot standby in synchronous
streaming replication (set up here from Debian's PostgreSQL 15: initdb, pg_basebackup -R), four
`parley serve` nodes given both hosts (`?target_session_attrs=read-write`), parley-load's
scenarios/cluster-ha.yaml against them, and the primary killed mid-run (`pg_ctl stop -m
immediate`, as a crash) and the standby promoted `--promote-after` seconds later (`pg_ctl
promote`; the delay stands for the detection a failover manager such as pg_auto_failover needs).

Judged by four independent observers (parleybench/observer.py: a plain `websockets` client),
one on each node; the first also publishes every 100 ms:

  * flow: seconds from the kill, and from the promotion, until a message published after the
    kill reaches every observer;
  * acknowledged lost: the publisher's own copy came back (with a seq) but another observer
    never heard it (must be 0); partial: heard by some observers and not by others (0);
    unanswered: neither echoed nor refused by the end (0); refused: answered `unavailable`;
  * seq reused: one seq naming two different messages anywhere (0); duplicates at an observer
    (0); gaps in an observer's seqs (0); epoch changes (`resumeFailed`, 0: synchronous);
  * parley-load's own: delivery lost and duplicates, resume gaps, duplicates and failures for
    the 20 % who drop and come back after the promotion (thresholds in the scenario).

`--outage SECONDS` makes it an outage instead (make cluster-outage): one durable PostgreSQL, no
standby, killed and started again SECONDS later (crash recovery). Within the outbox's TTL
(`--outbox-ttl`, passed to the nodes) everything sent meanwhile is delivered after it, once, in
order; past it, the held messages older than the TTL are refused (`unavailable`: nobody got
them) and parley-load's delivery figures are reported, not gated (it counts a refused message
as lost). Acknowledged lost, partial, unanswered, seq reused, duplicates and gaps must be 0
either way.

Writes out/cluster-ha.{json,txt} (out/cluster-outage-S.{json,txt} for an outage) and
parley-load's report beside them (…-load.{json,html}). Exit 0 when every check holds, 1
otherwise.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

from parleybench.nodes import LOAD, Node, require_binaries
from parleybench.observer import Observer, end_observed_run
from parleybench.orchestra import ROOT
from parleybench.postgres import Postgres
from parleybench.verdict import judge

NODES = 4


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def load_figures(report_path):
    with open(report_path) as f:
        run = json.load(f)["runs"][0]
    metrics = run["metrics"]
    keys = ("delivery.lost", "delivery.duplicates", "delivery.ratio", "resume.gaps", "resume.duplicates", "resume.failed", "fanout.p99")
    return {key: metrics.get(key) for key in keys}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default=os.path.join(ROOT, "scenarios", "cluster-ha.yaml"))
    parser.add_argument("--kill-at", type=float,
                        help="seconds into the phases the primary is killed (8 for a failover; 3 for an outage, so that "
                             "one of up to 10 s is over before the scenario's reconnects at 14 s)")
    parser.add_argument("--promote-after", type=float, default=2, help="seconds from the kill to the promotion (2)")
    parser.add_argument("--flow-bound", type=float, default=10, help="seconds from the kill within which messages must flow again (10)")
    parser.add_argument("--outage", type=float, help="an outage of this many seconds instead of a failover")
    parser.add_argument("--outbox-ttl", type=float, default=30, help="the nodes' --outbox-ttl in seconds (30, their default)")
    parser.add_argument("--out", default=os.path.join(ROOT, "out"))
    args = parser.parse_args()
    require_binaries()
    os.makedirs(args.out, exist_ok=True)
    failover = args.outage is None
    if args.kill_at is None:
        args.kill_at = 8 if failover else 3
    label = "cluster-ha" if failover else f"cluster-outage-{args.outage:g}"
    past_ttl = not failover and args.outage >= args.outbox_ttl

    primary = Postgres(synchronous_standby=failover, durable=True)
    primary.start()
    standby = primary.start_standby() if failover else None
    if failover:
        url = (f"postgres://postgres@127.0.0.1:{standby.port},127.0.0.1:{primary.port}/postgres"
               "?target_session_attrs=read-write")
    else:
        url = primary.url
    nodes, observers, load = [], [], None
    stopping = threading.Event()
    try:
        for index in range(NODES):
            node = Node(index, url, extra=["--outbox-ttl", f"{args.outbox_ttl:g}"])
            node.start()
            nodes.append(node)
        observers = [Observer(f"observer-{i + 1}", node.url) for i, node in enumerate(nodes)]
        for observer in observers:
            observer.start()
        publisher = observers[0]

        def publish():
            count = 0
            while not stopping.is_set():
                count += 1
                publisher.publish(f"ha-{count}")
                time.sleep(0.1)

        setup = (f"primary :{primary.port} (synchronous), standby :{standby.port}" if failover
                 else f"one PostgreSQL :{primary.port} (durable), an outage of {args.outage:g} s")
        print(f"{label}: {setup}, {NODES} nodes, {len(observers)} observers", flush=True)
        report = os.path.join(args.out, f"{label}-load.json")
        load = subprocess.Popen([LOAD, "run", args.scenario, "--quiet", "--out", report, "--html", report.replace(".json", ".html")])
        wait_until(lambda: publisher.first_heard_from_others() is not None, 60, "parley-load's phases did not begin")
        phases_began = publisher.first_heard_from_others()
        publisher_thread = threading.Thread(target=publish, daemon=True)
        publisher_thread.start()
        time.sleep(max(0, phases_began + args.kill_at - time.monotonic()))
        print(f"{label}: killing the primary (pg_ctl stop -m immediate), {args.kill_at:g} s into the phases", flush=True)
        kill_time = time.monotonic()
        primary.kill()
        time.sleep(max(0, kill_time + (args.promote_after if failover else args.outage) - time.monotonic()))
        back_started = time.monotonic()
        if failover:
            print(f"{label}: promoting the standby (pg_ctl promote)", flush=True)
            standby.promote()
        else:
            print(f"{label}: starting PostgreSQL again", flush=True)
            primary.restart()
        back_time = time.monotonic()
        load_status = load.wait(timeout=300 + (args.outage or 0))
        stopping.set()
        publisher_thread.join(timeout=5)
        # What was still held or in flight settles: a healthy cluster answers within a few
        # hundred milliseconds.
        time.sleep(3)
        result = judge(observers, [publisher], kill_time, back_time)
        result.update({
            "mode": "failover" if failover else "outage", "outageSeconds": args.outage, "outboxTTLSeconds": args.outbox_ttl,
            "backSeconds": back_time - back_started, "killAtSeconds": args.kill_at,
            "replication": "synchronous (synchronous_commit = on, remote flush)" if failover else "none (synchronous_commit = on)",
            "load": load_figures(report), "loadExit": load_status,
        })
        if failover:
            result.update({"promoteAfterSeconds": args.promote_after, "promotion": "pg_ctl promote",
                           "standbyInRecoveryAfter": standby.query("SELECT pg_is_in_recovery()")})
    finally:
        end_observed_run(stopping, observers, load)
        for node in nodes:
            node.stop()
        primary.stop()
        if standby:
            standby.stop()

    back = "the promotion" if failover else "PostgreSQL was back"
    checks = [
        (result["flowAfterKillSeconds"] is not None and result["flowAfterKillSeconds"] < args.flow_bound + (args.outage or 0),
         f"messages flow again {fmt(result['flowAfterKillSeconds'])} s after the kill "
         f"(bound {args.flow_bound + (args.outage or 0):g} s), {fmt(result['flowAfterPromoteSeconds'])} s after {back}"),
        (result["acknowledgedLost"] == 0, f"acknowledged and lost: {result['acknowledgedLost']} of {result['acknowledged']} {result['acknowledgedLostTexts']}"),
        (result["partial"] == 0, f"heard by some observers and not others: {result['partial']} {result['partialTexts']}"),
        (result["unanswered"] == 0, f"neither acknowledged nor refused: {result['unanswered']} of {result['published']}"),
        ((result["refused"] > 0) == past_ttl,
         f"refused as not sent: {result['refused']} ({'expected: the outage outlasts' if past_ttl else 'none expected: the outage is within'} "
         f"the outbox's TTL, {args.outbox_ttl:g} s)"),
        (result["seqReused"] == 0, f"seqs naming two messages: {result['seqReused']} {result['seqReusedExamples']}"),
        (not any(result["duplicates"].values()), f"duplicates at the observers: {result['duplicates']}"),
        (not any(result["gaps"].values()), f"gaps in the observers' seqs: {result['gaps']}"),
        (not any(result["outOfOrder"].values()), f"out of order at the observers: {result['outOfOrder']}"),
        (not result["epochChanges"], f"epoch changes (resumeFailed): {result['epochChanges'] or 'none'}"),
        (not result["closed"], f"observers cut off (members dropped by their node): {result['closed'] or 'none'}"),
    ]
    if failover:
        checks.append((result["standbyInRecoveryAfter"] == "f", "the standby was promoted (pg_is_in_recovery() false)"))
    if past_ttl:
        print(f"{label}: parley-load's thresholds not gated past the TTL (exit {result['loadExit']}): {result['load']}")
    else:
        checks.append((result["loadExit"] == 0, f"parley-load's thresholds (exit {result['loadExit']}): {result['load']}"))
    if failover:
        how = (f"primary killed {args.kill_at:g} s into the phases, standby promoted {args.promote_after:g} s later "
               f"({result['backSeconds']:.2f} s for pg_ctl promote)")
    else:
        how = (f"PostgreSQL killed {args.kill_at:g} s into the phases, started again {args.outage:g} s later "
               f"({result['backSeconds']:.2f} s for pg_ctl start), outbox TTL {args.outbox_ttl:g} s")
    lines = [f"{label}: {NODES} nodes, {how}; replication {result['replication']}",
             f"  observers heard {result['heard']}; observer-1 published {result['published']}: "
             f"{result['acknowledged']} acknowledged, {result['refused']} refused (unavailable)"]
    lines += [f"  {'ok  ' if ok else 'FAIL'}  {text}" for ok, text in checks]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(args.out, f"{label}.txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(args.out, f"{label}.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"report: {args.out}/{label}.{{txt,json}}, parley-load's {args.out}/{label}-load.{{json,html}}")
    sys.exit(0 if all(ok for ok, _ in checks) else 1)


def fmt(seconds):
    return "never" if seconds is None else f"{seconds:.2f}"


if __name__ == "__main__":
    main()
