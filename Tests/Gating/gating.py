#!/usr/bin/env python3
"""Regression gating end to end, with the real binaries (docs/LOAD.md, "Gating performance in CI").
`parley serve` behind a relay (Tests/Gating/relay.py) that holds every chunk from the server for a
fixed delay; scenarios/ci-gate.yaml, shortened, through the relay:

  * a baseline round trip: `baseline update` (3 runs) written, shown, and `run --runs 3 --baseline`
    against the same setup passes on the counts (exit 0; the latencies' A/A verdicts are the
    interleaved trials'), its
    JUnit XML valid against Tests/Gating/junit.xsd and its Markdown appended to $GITHUB_STEP_SUMMARY;
  * a known slowdown (the relay's delay raised until the runs' own medians are 25 % slower or
    more: from 30 % of the baseline's fan-out p50, as the relay's own work overlaps the delay) is
    flagged WORSE by the bootstrap verdict with 3 runs per side: exit 99, a failing JUnit case,
    and the change it reports is the runs' own;
  * identical setups are not flagged in 10 of 10 trials (5 runs a side, made in turn A, B, A, B,
    … so that both sides share the VM's spells of stalls, then `compare --base … --new …`), with
    the catalogue's tolerances;
  * another scenario's baseline is refused before running; bad tolerances name the file, line
    and key; the live metrics endpoint is scraped during a run.

Run by `make test` (target gating-test) after the release build.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
from parleybench.checklist import Checklist
from parleybench.orchestra import LOAD, ROOT, free_port, median, parley_server, pinned, stop, wait_for_port

CHECKS = Checklist()
check = CHECKS.check
SCENARIO = os.path.join(ROOT, "scenarios", "ci-gate.yaml")
SCHEMA = os.path.join(HERE, "junit.xsd")
BASE_DELAY_MS = 5.0
TRIALS = 10
# The identical trials' runs a side.
AA_RUNS = 5
TAILS = ("fanout.p99", "fanout.p999", "completion.p99")


class Relay:
    def __init__(self, to_port, delay_ms):
        self.port, self.to_port, self.delay_ms = free_port(), to_port, delay_ms

    def __enter__(self):
        # On core 0 beside the server (parley_server pins it there), parley-load alone on core 1:
        # three processes left to share two cores traded time slices, and the generator's loops
        # ran late enough (p99 > 10 ms) for it to refuse whole trials as generator-bound.
        self.process = subprocess.Popen(pinned(0, [sys.executable, os.path.join(HERE, "relay.py"), "--listen", str(self.port),
                                                   "--to", str(self.to_port), "--delay-ms", str(self.delay_ms)]))
        wait_for_port(self.port, self.process, name="relay")
        return self

    def __exit__(self, *exc):
        stop(self.process)


def load(*arguments, relay=None, env=None, timeout=180):
    command = pinned(1, [LOAD, *arguments])
    if relay:
        command += ["--target", f"ws://127.0.0.1:{relay.port}/ws", "--clients", "100", "--duration", "1500ms", "--quiet"]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


def valid_junit(path):
    result = subprocess.run(["xmllint", "--noout", "--schema", SCHEMA, path], capture_output=True, text=True)
    return result.returncode == 0, result.stderr.strip()


def main():
    with tempfile.TemporaryDirectory() as directory:
        def path(name):
            return os.path.join(directory, name)

        # The schema checker itself must reject what CI systems would (no classname).
        with open(path("bad.xml"), "w") as f:
            f.write('<testsuites><testsuite name="x" tests="1"><testcase name="y"/></testsuite></testsuites>')
        check(not valid_junit(path("bad.xml"))[0], "xmllint rejects a test case without a classname (the schema bites)")

        server_port = free_port()
        with parley_server(server_port):
            print("a baseline round trip, same setup on both sides")
            with Relay(server_port, BASE_DELAY_MS) as relay:
                made = load("baseline", "update", SCENARIO, "--runs", "3", "--out", path("base.json"), relay=relay)
                check(made.returncode == 0 and os.path.exists(path("base.json")), f"baseline update wrote 3 runs ({made.returncode}: {made.stderr[-300:]})")
                shown = load("baseline", "show", path("base.json"))
                check("3 run(s) of ci-gate" in shown.stdout and "machine:" in shown.stdout, f"baseline show: {shown.stdout.strip()[:200]}")
                summary = path("summary.md")
                with open(summary, "w") as f:
                    f.write("earlier step\n")
                env = dict(os.environ, GITHUB_STEP_SUMMARY=summary)
                # The flow and its outputs; the latencies' A/A verdicts are the interleaved trials'
                # (below): three runs made after three others share no phase of this VM's stalls
                # (CI, 2026-12-02: fan-out p99 10.8 -> 28.1 ms between two such sets, all three
                # new runs above all three base runs; CI, 2026-12-03: p50 +26.7 %, connect.p99
                # +96 %, every latency of the second set doubled at once).
                same = load("run", SCENARIO, "--runs", "3", "--baseline", path("base.json"), "--junit", path("same.xml"),
                            "--github-summary", *[argument for metric in ("fanout.p50",) + TAILS for argument in ("--tolerance", f"{metric}=ignore")],
                            relay=relay, env=env)
                check(same.returncode == 0, f"the same setup passes against its baseline, counts judged (exit {same.returncode})\n{same.stdout[-1500:]}")
                ok, problem = valid_junit(path("same.xml"))
                check(ok, f"its JUnit XML is valid against the schema {problem}")
                with open(summary) as f:
                    text = f.read()
                check(text.startswith("earlier step\n### parley-load: ci-gate") and "| fanout.p50 |" in text,
                      "its Markdown is appended to $GITHUB_STEP_SUMMARY")
                refused = load("run", SCENARIO, "--baseline", path("base.json"), "--target", f"ws://127.0.0.1:{relay.port}/ws",
                               "--clients", "50", "--duration", "1s", "--quiet")
                check(refused.returncode == 2 and "refusing to compare" in refused.stderr and "digest" in refused.stderr,
                      f"another scenario's baseline is refused before running: {refused.stderr.strip()[:200]}")
                bad = load("run", SCENARIO, "--baseline", path("base.json"), "--tolerance", "fanout.p42=5%")
                check(bad.returncode == 2 and "unknown metric \"fanout.p42\"" in bad.stderr, f"a bad --tolerance: {bad.stderr.strip()[:120]}")
                with open(SCENARIO) as f:
                    broken = f.read().replace("connect.p99: ignore", "connect.p99: lenient")
                with open(path("broken.yaml"), "w") as f:
                    f.write(broken)
                line = broken.splitlines().index("  connect.p99: lenient") + 1
                bad = load("run", path("broken.yaml"))
                check(bad.returncode == 2 and f"broken.yaml:{line}:" in bad.stderr and "compare.connect.p99" in bad.stderr,
                      f"a bad tolerance in a scenario names file, line and key: {bad.stderr.strip()[:160]}")

                print("the live endpoint, scraped while a run runs")
                metrics_port = free_port()
                scraped = {}

                def scrape():
                    deadline = time.monotonic() + 20
                    while time.monotonic() < deadline and "delivered" not in scraped:
                        try:
                            body = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=1).read().decode()
                            match = re.search(r"^parley_load_deliveries_total (\d+)", body, re.M)
                            if match and int(match.group(1)) > 0 and "parley_load_fanout_seconds{quantile=\"0.99\"}" in body:
                                scraped["delivered"] = int(match.group(1))
                                scraped["body"] = body
                        except OSError:
                            pass
                        time.sleep(0.2)

                scraper = threading.Thread(target=scrape)
                scraper.start()
                live = load("run", SCENARIO, "--metrics-port", str(metrics_port), relay=relay)
                scraper.join()
                check(live.returncode == 0 and scraped.get("delivered", 0) > 0,
                      f"live figures served during the run: {scraped.get('delivered')} deliveries so far (exit {live.returncode})")
                body = scraped.get("body", "")
                check("parley_load_clients_connected 100" in body and "# TYPE parley_load_deliveries_total counter" in body,
                      "Prometheus text with the connected clients and typed counters")

            with open(path("base.json")) as f:
                baseline = json.load(f)
            base_p50 = median([report["runs"][0]["metrics"]["fanout.p50"] for report in baseline["reports"]])
            # The relay forwards the 100 clients' chunks one after another in one Python loop, and
            # that work overlaps the added delay: how much of it reaches the clients depends on the
            # machine (2026-12-02: 30 % of p50 added read +14.9 to +17.1 %, the day before's code
            # too). So the delay is raised until the runs themselves show a slowdown of 25 % or
            # more, and the tool is judged on it: flagged, and the change it reports is the runs'.
            extra_ms = 0.3 * base_p50 / 1000
            calibrations, refusals = 0, 0
            while True:
                print(f"a known slowdown: the relay's delay {BASE_DELAY_MS} -> {BASE_DELAY_MS + extra_ms:.2f} ms "
                      f"(+{extra_ms / (base_p50 / 1000) * 100:.0f} % of the baseline's fan-out p50, {base_p50 / 1000:.2f} ms)")
                with Relay(server_port, BASE_DELAY_MS + extra_ms) as relay:
                    slow = load("run", SCENARIO, "--runs", "3", "--baseline", path("base.json"), "--junit", path("slow.xml"),
                                "--out", path("slow.json"), relay=relay)
                # As with the identical trials below: a run the tool refuses to judge (exit 3, a
                # neighbour kept the generator off the CPU) is no verdict; made again with the same
                # delay, at most four times (CI, 2026-12-02: +56 % flagged WORSE but refused, exit 3;
                # later three refusals in a row, in one of this VM's stalling spells).
                if slow.returncode == 3 and refusals < 4:
                    refusals += 1
                    print("  not judged (the generator was bound: " + next(
                        (line.strip() for line in (slow.stdout + slow.stderr).splitlines() if "generator-bound" in line), "")[:160]
                        + "); made again", flush=True)
                    continue
                slow_p50s = []
                for index in (1, 2, 3):
                    with open(path(f"slow-{index}.json")) as f:
                        slow_p50s.append(json.load(f)["runs"][0]["metrics"]["fanout.p50"])
                effective = (median(slow_p50s) / base_p50 - 1) * 100
                print(f"  the runs' medians: {base_p50 / 1000:.2f} -> {median(slow_p50s) / 1000:.2f} ms ({effective:+.1f} %)")
                calibrations += 1
                if effective >= 25 or calibrations == 3:
                    break
                extra_ms *= 1.6
            row = next((line for line in slow.stdout.splitlines() if line.strip().startswith("fanout.p50 ")), "")
            print("  " + row.strip())
            check(effective >= 25, f"the relay made a slowdown of 25 % or more ({effective:+.1f} %)")
            check(slow.returncode == 99 and row.rstrip().endswith("WORSE"), f"flagged WORSE with 3 runs per side, exit 99 (got {slow.returncode})")
            change = re.search(r"\+(\d+(?:\.\d+)?)%", row)
            check(change is not None and abs(float(change.group(1)) - effective) <= 2,
                  f"the reported slowdown is the runs' own: {change.group(0) if change else row} against {effective:+.1f} %")
            ok, problem = valid_junit(path("slow.xml"))
            with open(path("slow.xml")) as f:
                junit = f.read()
            check(ok and '<testcase classname="parley-load.compare" name="fanout.p50"' in junit and 'type="regression"' in junit,
                  f"the JUnit XML has the failing case and is valid {problem}")

            # The identical trials are judged with the catalogue's tolerances, the gate's own.
            # Every new run above every base run puts the interval clear of zero — for identical
            # setups 1 chance in 20 with 3 runs a side, 1 in 252 with 5 — and a spell of this
            # VM's stalls (idle threads woken 1-6 ms late) moves a 30-message run's p99 far past
            # any tolerance; so 5 runs a side, made in turn (below) so both sides share the spells.
            print(f"identical setups, {TRIALS} trials of {AA_RUNS} runs a side, made in turn (A, B, A, B, …)")
            # Made in turn, the two sides share whatever spell of stalls the VM is in, as two
            # identical builds compared must; sets made one after the other did not (above).
            # `compare` judges the runs as they are: a run the VM stalled is on either side alike.
            flagged = []
            with Relay(server_port, BASE_DELAY_MS) as relay:
                for trial in range(TRIALS):
                    sides, failures = {"a": [], "b": []}, []
                    for index in range(AA_RUNS):
                        for side in ("a", "b"):
                            report = path(f"aa-{trial}-{side}{index}.json")
                            made = load("run", SCENARIO, "--out", report, relay=relay)
                            if os.path.exists(report):
                                sides[side].append(report)
                            else:
                                failures.append(f"{side}{index}: exit {made.returncode} {made.stderr.strip()[-160:]}")
                    verdict = load("compare", *[argument for report in sides["a"] for argument in ("--base", report)],
                                   *[argument for report in sides["b"] for argument in ("--new", report)])
                    worse = [line.split()[0] for line in verdict.stdout.splitlines() if line.rstrip().endswith("WORSE")]
                    print(f"  trial {trial + 1}: exit {verdict.returncode}" + (f", WORSE: {', '.join(worse)}" if worse else "")
                          + (f", runs missing: {failures}" if failures else ""), flush=True)
                    if verdict.returncode != 0 or failures:
                        flagged.append((trial + 1, verdict.returncode, worse, failures or verdict.stderr.strip()[-200:]))
            check(not flagged, f"not flagged in {TRIALS - len(flagged)} of {TRIALS} trials {flagged}")
    CHECKS.finish("gating: baselines, tolerances, bootstrap verdicts and CI outputs hold")


if __name__ == "__main__":
    main()
