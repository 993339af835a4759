#!/usr/bin/env python3
"""parley-load holds back connects near its open-files limit instead of failing them with EMFILE
(Sources/ParleyLoad/Swarm/ConnectWindow.swift). On the direct receive path a client holds two
descriptors until it is ready, and a server that is slow to answer upgrades keeps many pending.

The C limit server behind the gating test's delaying relay (Tests/Gating/relay.py) answers each
WebSocket upgrade one second late; parley-load runs
300 raw clients under an open-files limit of 600 (prlimit). All 300 pending at once would need ~640
descriptors; with the window parley-load keeps at most 600 - 128 - 300 = 172 pending, so every
client must connect, none with "too many open files", and the slowest connect must take two of
the upgrades' seconds from its due time (held back: the window was used, not merely never reached).

Run by `make test` (target harness-self-check) after the release build.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from parleybench.checklist import Checklist
from parleybench.orchestra import LOAD, free_port, limit_server, raise_open_files_limit, stop, wait_for_port

HERE = os.path.dirname(os.path.abspath(__file__))
RELAY = os.path.join(HERE, "..", "Gating", "relay.py")  # holds what the server sends for --delay-ms
CHECKS = Checklist()
check = CHECKS.check
CLIENTS, OPEN_FILES, UPGRADE_DELAY = 300, 600, 1.0


def main():
    if not shutil.which("prlimit"):
        sys.exit("connect_window: needs prlimit (util-linux)")
    raise_open_files_limit()  # the server and the relay hold 300 sockets each
    server_port, port = free_port(), free_port()
    relay = subprocess.Popen([sys.executable, RELAY, "--listen", str(port), "--to", str(server_port),
                              "--delay-ms", str(int(UPGRADE_DELAY * 1000))])
    with limit_server(server_port):
        wait_for_port(port, relay, name="relay")
        try:
            run(port)
        finally:
            stop(relay)
    CHECKS.finish("parley-load near its open-files limit: connects held back, none failed")


def run(port):
    with tempfile.TemporaryDirectory() as directory:
        scenario, report = os.path.join(directory, "s.yaml"), os.path.join(directory, "r.json")
        with open(scenario, "w") as f:
            f.write(f"""name: connect-window
target: ws://127.0.0.1:{port}/
clients: {CLIENTS}
connect: {{ rate: 2000/s, timeout: 20s }}
hello: null
message: {{ kind: raw, size: 128, template: "{{token}}", includeSender: false }}
phases:
  - {{ name: idle, duration: 1s, publishers: 0, rate: 0/s }}
""")
        result = subprocess.run(["prlimit", f"--nofile={OPEN_FILES}:{OPEN_FILES}", LOAD, "run", scenario, "--quiet",
                                 "--out", report], capture_output=True, text=True, timeout=120)
        check(result.returncode == 0 and os.path.exists(report),
              f"parley-load ran under {OPEN_FILES} open files (exit {result.returncode}) {result.stderr.strip()[-300:]}")
        if os.path.exists(report):
            connect = json.load(open(report))["runs"][0]["connect"]
            check(connect["connected"] == CLIENTS and not connect["errors"],
                  f"{CLIENTS} clients under a limit of {OPEN_FILES}: {connect['connected']} connected, errors {connect['errors']}")
            slowest = connect["latency"]["max"] / 1e6
            check(slowest >= 1.8 * UPGRADE_DELAY,
                  f"the slowest connect took {slowest:.2f} s from its due time: a second round of {UPGRADE_DELAY:.0f} s "
                  "upgrades, so clients were held back")


if __name__ == "__main__":
    main()
