#!/usr/bin/env python3
"""Faults under load, measured with parley-load against `parley serve` (make faults):

  slow consumers  scenarios/slow-consumers.yaml with 0 and with 50 slow consumers; the members'
                  fan-out p50/p99 side by side (as a ratio, same run), and how many the server closed
  churn           scenarios/churn-500.yaml (500 leave + 500 join per second) next to the same
                  load without churn; delivery ratio for the members that stay

The server runs pinned to core 0 with a 64 KiB outbound budget and a 16 KiB kernel send buffer
per socket (so a slow consumer is found in seconds: with Linux's autotuned send buffer, up to 4 MiB
would sit in the kernel first) and a 2,000/s connect rate; parley-load runs on core 1. Writes out/faults.txt.
"""

import json
import os
import subprocess
import sys
import tempfile

from parleybench.orchestra import LOAD, PARLEY, ROOT, Server, free_port, pinned

PORT = 18090


def run(scenario_text, label):
    with tempfile.TemporaryDirectory() as directory:
        scenario = os.path.join(directory, "scenario.yaml")
        report = os.path.join(directory, "report.json")
        with open(scenario, "w") as f:
            f.write(scenario_text)
        port = free_port()
        command = [PARLEY, "serve", "--port", str(port), "--no-web", "--log-level", "error",
                   "--outbound-budget", "65536", "--socket-send-buffer", "16384", "--connect-rate", "2000",
                   "--max-connections", "19000", "--max-pending-upgrades", "500", "--max-connections-per-ip", "19000", "--connect-rate-per-ip", "2000"]
        with Server("parley", command, port, f"ws://127.0.0.1:{port}/ws"):
            result = subprocess.run(pinned(1, [LOAD, "run", scenario, "--quiet", "--target", f"ws://127.0.0.1:{port}/ws",
                                               "--out", report]), capture_output=True, text=True)
        if not os.path.exists(report):
            sys.exit(f"{label}: parley-load failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        with open(report) as f:
            data = json.load(f)
    run = data["runs"][0]
    overall = run["overall"]
    slow = run.get("slowConsumers") or {}
    return {
        "label": label,
        "received": overall["received"], "expected": overall["expected"], "ratio": overall.get("ratio"),
        "dup": overall["duplicates"], "p50": overall["fanout"]["p50"] / 1000, "p99": overall["fanout"]["p99"] / 1000,
        "slow": f'{slow.get("closedByServer", "-")}/{slow.get("count", "-")}' if slow else "-",
        "errors": sum(run["connect"]["errors"].values()),
        "passed": all(v["passed"] for v in run["thresholds"]),
    }


def table(rows):
    header = ["run", "received/expected", "ratio", "dup", "p50 (ms)", "p99 (ms)", "slow closed", "connect errors", "thresholds"]
    lines = [header] + [[r["label"], f'{r["received"]}/{r["expected"]}', f'{r["ratio"]}', str(r["dup"]), f'{r["p50"]:.2f}',
                         f'{r["p99"]:.2f}', r["slow"], str(r["errors"]), "pass" if r["passed"] else "FAIL"] for r in rows]
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(widths[i]) for i, cell in enumerate(row)) for row in lines)


def scenario(name):
    with open(os.path.join(ROOT, "scenarios", name + ".yaml")) as f:
        return f.read()


def main():
    # Each fault next to its baseline: the same scenario without the fault, a file of its own.
    no_slow, slow_text = scenario("slow-consumers-baseline"), scenario("slow-consumers")
    no_churn, churn_text = scenario("churn-500-baseline"), scenario("churn-500")
    rows = [run(no_slow, "1,000 members, no slow consumers"), run(slow_text, "1,000 members + 50 slow consumers")]
    rows += [run(no_churn, "1,000 members, no churn"), run(churn_text, "1,000 members, churn 500/s")]
    out = [table(rows), "",
           f"slow consumers: members' p99 x{rows[1]['p99'] / rows[0]['p99']:.2f}, p50 x{rows[1]['p50'] / rows[0]['p50']:.2f} of the run without",
           f"churn: members' p99 x{rows[3]['p99'] / rows[2]['p99']:.2f}, delivery ratio {rows[3]['ratio']} for the members that stayed"]
    text = "\n".join(out) + "\n"
    print(text, end="")
    os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
    with open(os.path.join(ROOT, "out", "faults.txt"), "w") as f:
        f.write(text)
    sys.exit(0 if all(r["passed"] for r in rows) else 1)


if __name__ == "__main__":
    main()
