"""One parley-load run against a server the caller started: the scenario it is given (Parley's
wire for `parley`, a raw relay's for every other server) and the figures that come back, with
the server's CPU and memory over the run. Used by the comparison, the cross-check and the
slowloris and generator-bound checks."""

import json
import os
import subprocess
import tempfile
import threading

from parleybench.orchestra import LOAD, pinned


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
        # Per connection held: past ~19,000 some of parley-load's connects time out.
        "rssPerConnection": (peak["rss"] - rss_before) / max(clients - sum(run["connect"]["errors"].values()), 1)
        if sample_rss else None,
    }
