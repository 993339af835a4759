#!/usr/bin/env python3
"""A bounded soak (make soak, not part of make test): `parley serve` (release, core 0) under
parley-load (core 1) for SOAK_MINUTES (10 by default) — 1,000 members, 50 leaving and 50 joining
per second, 5 publishers at 5 msg/s — with the server's RSS sampled every 10 s. After a warm-up
(the first fifth, at least a minute) RSS must stay flat: the last sample within 10 % + 8 MiB of the
first one after warm-up. Writes out/soak.txt; exit 1 on growth or on any lost delivery.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from parleybench.orchestra import LOAD, PARLEY, ROOT, Server, free_port, pinned


def main():
    minutes = float(os.environ.get("SOAK_MINUTES", "10"))
    seconds = int(minutes * 60)
    port = free_port()
    scenario_text = f"""name: soak
description: {minutes:g} minutes of 1,000 members with churn 50/s and 5 publishers at 5 msg/s
clients: 1000
connect: {{ rate: 1000/s }}
churn: {{ rate: 50/s }}
phases:
  - {{ name: soak, duration: {seconds}s, publishers: 5, rate: 5/s }}
thresholds:
  delivery.ratio: ">= 1"
  delivery.duplicates: "== 0"
"""
    samples = []
    with tempfile.TemporaryDirectory() as directory:
        scenario = os.path.join(directory, "soak.yaml")
        report = os.path.join(directory, "soak.json")
        with open(scenario, "w") as f:
            f.write(scenario_text)
        command = [PARLEY, "serve", "--port", str(port), "--no-web", "--log-level", "error", "--connect-rate", "2000",
                   "--connect-rate-per-ip", "2000"]
        with Server("parley", command, port, f"ws://127.0.0.1:{port}/ws") as server:
            stop = threading.Event()
            started = time.time()

            def sample():
                while not stop.wait(10):
                    samples.append((time.time() - started, server.rss_bytes()))
                    print(f"  {samples[-1][0]:6.0f} s  RSS {samples[-1][1] / 1048576:7.1f} MiB", flush=True)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            result = subprocess.run(pinned(1, [LOAD, "run", scenario, "--quiet", "--target", f"ws://127.0.0.1:{port}/ws",
                                               "--out", report]), capture_output=True, text=True)
            stop.set()
            sampler.join()
        with open(report) as f:
            run = json.load(f)["runs"][0]
    warm = max(60, seconds / 5)
    after = [rss for at, rss in samples if at >= warm]
    lines = [f"soak: {minutes:g} min, {run['overall']['received']}/{run['overall']['expected']} delivered, "
             f"fan-out p99 {run['overall']['fanout']['p99'] / 1000:.1f} ms, {len(samples)} RSS samples"]
    ok = result.returncode == 0
    if len(after) >= 2:
        first, last, peak = after[0], after[-1], max(after)
        growth = last - first
        flat = last <= first * 1.10 + 8 * 1048576
        ok = ok and flat
        lines.append(f"RSS after warm-up ({warm:.0f} s): first {first / 1048576:.1f} MiB, last {last / 1048576:.1f} MiB, "
                     f"peak {peak / 1048576:.1f} MiB, growth {growth / 1048576:+.1f} MiB -> {'flat' if flat else 'GROWING'}")
    else:
        lines.append("too short to judge RSS after warm-up")
    lines.append("series (s, MiB): " + ", ".join(f"{at:.0f}:{rss / 1048576:.1f}" for at, rss in samples))
    text = "\n".join(lines) + "\n"
    print(text, end="")
    os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
    with open(os.path.join(ROOT, "out", "soak.txt"), "w") as f:
        f.write(text)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
