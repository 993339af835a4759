#!/usr/bin/env python3
"""Autobahn|Testsuite's fuzzingclient against `parley serve --handler echo` (make conformance).

Cases 1-10 (framing, pings and pongs, reserved bits and opcodes, fragmentation, UTF-8, close
handling, limits and performance, auto-fragmentation); 12 and 13 (permessage-deflate) are not
run: Parley negotiates no extension. Fails when any case is FAILED (or the run breaks), and
prints the tally per result; the full HTML report is left in .build/autobahn/report/.

    autobahn.py --wstest .build/autobahn-venv/bin/wstest --parley .build/release/parley
"""

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, ".build", "autobahn")


def start_parley(binary):
    """The echo gateway on a free loopback port, limits opened for case 9's 16 MiB messages."""
    command = [
        binary, "serve", "--handler", "echo", "--port", "0", "--no-web", "--log-level", "warning",
        "--max-frame-bytes", str(16 * 1024 * 1024), "--max-message-bytes", str(16 * 1024 * 1024),
        "--inbound-rate", "1000000", "--connect-rate", "100000", "--connect-rate-per-ip", "100000", "--outbound-budget", str(64 * 1024 * 1024),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("parley listening on "):
            return process, line.split()[-1].strip()
    process.kill()
    sys.exit("parley serve did not say it was listening")


def tally(index):
    """Counts per result, for the behaviour and the close behaviour of every case."""
    behaviour, close = collections.Counter(), collections.Counter()
    failed = []
    for agent in index.values():
        for case, result in agent.items():
            behaviour[result["behavior"]] += 1
            close[result["behaviorClose"]] += 1
            if result["behavior"] == "FAILED" or result["behaviorClose"] == "FAILED":
                failed.append(case)
    return behaviour, close, sorted(failed, key=lambda c: [int(p) for p in c.split(".")])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wstest", required=True)
    parser.add_argument("--parley", required=True)
    parser.add_argument("--cases", default="1.*,2.*,3.*,4.*,5.*,6.*,7.*,8.*,9.*,10.*")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds for the whole suite")
    arguments = parser.parse_args()
    # wstest runs inside OUT; the paths given are relative to where make runs.
    arguments.wstest = os.path.abspath(arguments.wstest)
    arguments.parley = os.path.abspath(arguments.parley)

    os.makedirs(OUT, exist_ok=True)
    parley, url = start_parley(arguments.parley)
    spec = {
        "outdir": os.path.join(OUT, "report"),
        "servers": [{"agent": "parley", "url": url}],
        "cases": arguments.cases.split(","),
        "exclude-cases": ["12.*", "13.*"],
        "exclude-agent-cases": {},
    }
    spec_path = os.path.join(OUT, "fuzzingclient.json")
    with open(spec_path, "w") as file:
        json.dump(spec, file, indent=2)
    started = time.time()
    try:
        with open(os.path.join(OUT, "wstest.log"), "w") as log:
            run = subprocess.run(
                [arguments.wstest, "-m", "fuzzingclient", "-s", spec_path],
                cwd=OUT, stdout=log, stderr=subprocess.STDOUT, timeout=arguments.timeout)
    except subprocess.TimeoutExpired:
        sys.exit("autobahn: the suite did not finish within %d s (log: %s)" % (arguments.timeout, os.path.join(OUT, "wstest.log")))
    finally:
        parley.send_signal(signal.SIGTERM)
        try:
            parley.wait(timeout=10)
        except subprocess.TimeoutExpired:
            parley.kill()
    alive = parley.returncode == 0
    index_path = os.path.join(OUT, "report", "index.json")
    if run.returncode != 0 or not os.path.exists(index_path):
        sys.exit("autobahn: wstest failed (exit %d); see %s" % (run.returncode, os.path.join(OUT, "wstest.log")))
    with open(index_path) as file:
        behaviour, close, failed = tally(json.load(file))

    total = sum(behaviour.values())
    print("autobahn fuzzingclient against parley serve --handler echo: %d cases in %.0f s" % (total, time.time() - started))
    print("  behaviour: " + ", ".join("%s %d" % item for item in sorted(behaviour.items())))
    print("  close:     " + ", ".join("%s %d" % item for item in sorted(close.items())))
    print("  report: %s" % os.path.join(OUT, "report", "index.html"))
    if not alive:
        print("autobahn: parley serve did not drain and exit 0 after the suite (exit %s)" % parley.returncode)
    if failed:
        print("autobahn: FAILED cases: " + ", ".join(failed))
    if total == 0:
        print("autobahn: no case ran")
    sys.exit(1 if failed or not alive or total == 0 else 0)


if __name__ == "__main__":
    main()
