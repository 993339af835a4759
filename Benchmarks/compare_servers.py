#!/usr/bin/env python3
"""Parley next to the physical limit: the same parley-load workloads against the C reference
server (Benchmarks/reference/limit-server.c), a Python `websockets` broadcast peer, and
`parley serve`, one after another in the same run, every figure also given as a ratio to the
C server measured minutes apart on the same machine.

    compare_servers.py            the full comparison (make compare-servers)
    compare_servers.py --gate     the CI gate (make perf-gate): fails if Parley's fan-out p99
                                  exceeds 2x the C server's, or if any delivery is lost

Servers run pinned to core 0 and the load generator to core 1 where `taskset` works.
"""

import argparse
import html
import json
import os
import subprocess
import sys
import tempfile
import threading

from orchestra import LOAD, PARLEY, ROOT, BUILD, Server, build_c, limit_server, parley_server, pinned, probe_client

VENV = os.path.join(BUILD, "peer-venv")
PEER = os.path.join(ROOT, "Benchmarks", "peers", "broadcast_peer.py")


def build_peer_venv():
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    if subprocess.run([python, "-c", "import websockets"], capture_output=True).returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", "websockets>=13"], check=True)
    return python


def scenario_yaml(server, clients, publishers, rate, seconds, settle="500ms"):
    if server.name == "parley":
        message = "message: { kind: public, size: 128 }"
        hello = ""
    else:
        message = 'message: { kind: raw, size: 128, template: "{token}", includeSender: false }'
        hello = "hello: null"
    return f"""name: compare-{clients}x{publishers * rate:g}
description: {clients} clients, {publishers} publishers at {rate:g}/s for {seconds}s
target: {server.url}
clients: {clients}
connect: {{ rate: 2000/s, timeout: 30s }}
settle: {settle}
{hello}
{message}
phases:
  - {{ name: steady, duration: {seconds}s, publishers: {publishers}, rate: {rate:g}/s }}
"""


def run_load(server, clients, publishers, rate, seconds, sample_rss=False):
    """Runs one workload; returns the run's overall figures plus the server's CPU and memory."""
    with tempfile.TemporaryDirectory() as directory:
        scenario = os.path.join(directory, "scenario.yaml")
        report = os.path.join(directory, "report.json")
        with open(scenario, "w") as f:
            f.write(scenario_yaml(server, clients, publishers, rate, seconds))
        peak = {"rss": 0}
        stop = threading.Event()

        def sample():
            while not stop.wait(0.2):
                peak["rss"] = max(peak["rss"], server.rss_bytes())

        sampler = threading.Thread(target=sample, daemon=True)
        rss_before = server.rss_bytes()
        cpu_before = server.cpu_seconds()
        if sample_rss:
            sampler.start()
        result = subprocess.run(pinned(1, [LOAD, "run", scenario, "--quiet", "--out", report]), capture_output=True, text=True)
        stop.set()
        cpu = server.cpu_seconds() - cpu_before
        if result.returncode not in (0, 3, 99) or not os.path.exists(report):
            raise RuntimeError(f"parley-load failed against {server.name}: {result.stderr.strip()[-500:]}")
        with open(report) as f:
            run = json.load(f)["runs"][0]
    overall = run["overall"]
    received = overall["received"]
    return {
        "clients": clients, "msgPerSecond": publishers * rate, "received": received, "expected": overall["expected"],
        "lost": overall["lost"], "duplicates": overall["duplicates"], "connectErrors": sum(run["connect"]["errors"].values()),
        "p50": overall["fanout"]["p50"], "p99": overall["fanout"]["p99"], "p999": overall["fanout"]["p999"],
        "deliveriesPerSecond": overall["deliveriesPerSecond"], "sent": overall["messagesSent"],
        "loadCpuSeconds": overall["process"]["cpuSeconds"],
        "cpuSeconds": cpu,
        "cpuMicrosPerDelivery": cpu * 1e6 / received if received else None,
        "loadCpuPerSecond": overall["process"]["cpuPerSecond"],
        "validity": run.get("validity", "valid"),
        "rssPerConnection": (peak["rss"] - rss_before) / clients if sample_rss else None,
    }


def servers(python):
    chosen = {"c-limit": limit_server(9001)}
    if python:
        chosen["python"] = Server("python", [python, PEER, "--port", "9002"], 9002, "ws://127.0.0.1:9002/")
    chosen["parley"] = parley_server(9003)
    return chosen


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
    build_c("limit-server")
    chosen = servers(None)
    best = {}
    for attempt in range(2):
        for name in ("c-limit", "parley"):
            with chosen[name] as server:
                figures = run_load(server, 200, 5, 10, 5)
            print(f"  {name:8s} try {attempt + 1}: p50 {figures['p50'] / 1000:.2f} ms, p99 {figures['p99'] / 1000:.2f} ms, "
                  f"lost {figures['lost']}, connect errors {figures['connectErrors']}")
            if figures["lost"] or figures["connectErrors"] or figures["duplicates"]:
                print(f"perf gate: FAIL — {name} lost {figures['lost']} deliveries, {figures['connectErrors']} connect errors, "
                      f"{figures['duplicates']} duplicates")
                return 1
            if name not in best or figures["p99"] < best[name]["p99"]:
                best[name] = figures
    ratio = best["parley"]["p99"] / max(best["c-limit"]["p99"], 1)
    verdict = "pass" if ratio <= 2.0 else "FAIL"
    print(f"perf gate: {verdict} — Parley fan-out p99 {best['parley']['p99'] / 1000:.2f} ms is {ratio:.2f}x the C limit "
          f"server's {best['c-limit']['p99'] / 1000:.2f} ms (best of two each; the gate is 2x)")
    return 0 if ratio <= 2.0 else 1


def full(args):
    build_c("limit-server")
    python = build_peer_venv()
    chosen = servers(python)
    results = {}
    for name, server in chosen.items():
        print(f"measuring {name} …", flush=True)
        with server:
            # The same connections with nobody publishing: what connecting and idling cost, to
            # take out of the per-delivery CPU (connects are cheap for the C server, not for a
            # gateway that parses HTTP and runs $connect, setName and the readiness probe).
            idle = run_load(server, 1000, 0, 0, args.seconds)
            results[name] = {
                "1kIdle": idle,
                "1k": run_load(server, 1000, 10, 1, args.seconds),
                "5k": run_load(server, 5000, 10, 1, args.seconds),
                # The same loads through the independent C client: where parley-load is the
                # slower side, its figure is partly about itself (make xcheck).
                "1kProbe": probe_client(name, server.port, 1000, 10, 1, args.seconds),
                "5kProbe": probe_client(name, server.port, 5000, 10, 1, args.seconds),
                "idle10k": run_load(server, 10000, 0, 0, 3, sample_rss=True) if name != "python" or args.python_idle else None,
            }
            busy = results[name]["1k"]
            busy["marginalCpuMicrosPerDelivery"] = (busy["cpuSeconds"] - idle["cpuSeconds"]) * 1e6 / busy["received"]
            best, steps = capacity(server)
            results[name]["capacity"] = best
            results[name]["capacitySteps"] = steps
    write_outputs(results, args.out)
    return 0


def ratio(value, base):
    return None if value is None or not base else value / base


def write_outputs(results, out):
    os.makedirs(out, exist_ok=True)
    c = results["c-limit"]
    rows = []
    for name, r in results.items():
        cap = r["capacity"]["deliveriesPerSecond"] if r["capacity"] else 0
        c_cap = c["capacity"]["deliveriesPerSecond"] if c["capacity"] else 0
        idle = r["idle10k"]["rssPerConnection"] if r["idle10k"] else None
        rows.append({
            "server": name,
            "p99 1k (ms)": r["1k"]["p99"] / 1000, "x C (1k)": ratio(r["1k"]["p99"], c["1k"]["p99"]),
            "C client p99 1k (ms)": r["1kProbe"]["p99"] / 1000,
            "x C (1k, C client)": ratio(r["1kProbe"]["p99"], c["1kProbe"]["p99"]),
            "p99 5k (ms)": r["5k"]["p99"] / 1000, "x C (5k)": ratio(r["5k"]["p99"], c["5k"]["p99"]),
            "C client p99 5k (ms)": r["5kProbe"]["p99"] / 1000,
            "x C (5k, C client)": ratio(r["5kProbe"]["p99"], c["5kProbe"]["p99"]),
            "parley-load 1k/5k": f"{r['1k']['validity']}/{r['5k']['validity']}",
            "sustained deliveries/s": f"{'>= ' if r['capacity'] and r['capacity'].get('atLeast') else ''}{cap:.0f}",
            # A lower bound on either side (the generator's limit) makes the ratio meaningless.
            "x C (capacity)": None if (r["capacity"] or {}).get("atLeast") or (c["capacity"] or {}).get("atLeast")
            else ratio(cap, c_cap),
            "CPU us/delivery (1k)": r["1k"]["marginalCpuMicrosPerDelivery"],
            "x C (CPU)": ratio(r["1k"]["marginalCpuMicrosPerDelivery"], c["1k"]["marginalCpuMicrosPerDelivery"]),
            "KiB per idle conn (10k)": idle / 1024 if idle else None,
            "lost": r["1k"]["lost"] + r["5k"]["lost"],
        })
    if "python" in results and results["python"]["capacity"]:
        py_cap = results["python"]["capacity"]["deliveriesPerSecond"]
        for name, row in zip(results, rows):
            capacity = results[name]["capacity"]
            bounded = (capacity or {}).get("atLeast") or results["python"]["capacity"].get("atLeast")
            row["x Python (capacity)"] = None if bounded else ratio(capacity["deliveriesPerSecond"] if capacity else 0, py_cap)
    headers = list(rows[0].keys()) + (["x Python (capacity)"] if "x Python (capacity)" not in rows[0] else [])
    headers = list(dict.fromkeys(headers))

    def cell(value):
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.2f}"
        return str(value)

    widths = [max(len(h), *(len(cell(row.get(h))) for row in rows)) for h in headers]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
    for row in rows:
        lines.append("  ".join(cell(row.get(h)).rjust(w) for h, w in zip(headers, widths)))
    table = "\n".join(lines)
    print(table)
    with open(os.path.join(out, "compare-servers.txt"), "w") as f:
        f.write(table + "\n")
    with open(os.path.join(out, "compare-servers.json"), "w") as f:
        json.dump({"rows": rows, "raw": results}, f, indent=2)
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell(row.get(h)))}</td>" for h in headers) + "</tr>" for row in rows)
    with open(os.path.join(out, "compare-servers.html"), "w") as f:
        f.write(f"""<!doctype html><meta charset="utf-8"><title>Parley next to the limit</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}th{{background:#f4f4f4}}</style>
<h1>Parley next to the physical limit</h1><p>Same machine, same run; ratios are to the C epoll reference server. Each load is measured twice: by parley-load, and by the independent C client (Benchmarks/reference/probe-client.c) — where the two disagree, the C client's figure is the server's; "parley-load 1k/5k" says whether parley-load kept up (valid) or was itself the bottleneck (generator-bound). CPU per delivery is the server's CPU during 1,000 clients × 10 msg/s minus the same clients idle, per delivery. "≥" before a sustained rate: the search stopped where parley-load itself became the bottleneck, so the server's capacity is at least that.</p>
<table><tr>{cells}</tr>{body}</table>""")
    print(f"written: {out}/compare-servers.{{txt,json,html}}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gate", action="store_true", help="the CI gate: a small run, Parley p99 <= 2x C, nothing lost")
    parser.add_argument("--out", default=os.path.join(ROOT, "out"), help="where the comparison report goes")
    parser.add_argument("--seconds", type=int, default=15, help="length of the fixed-rate runs")
    parser.add_argument("--python-idle", action="store_true", help="also hold 10,000 idle connections on the Python peer")
    args = parser.parse_args()
    for binary in (LOAD, PARLEY):
        if not os.path.exists(binary):
            sys.exit(f"{binary} is missing: run `swift build -c release` first (the Makefile targets do)")
    sys.exit(gate(args) if args.gate else full(args))


if __name__ == "__main__":
    main()
