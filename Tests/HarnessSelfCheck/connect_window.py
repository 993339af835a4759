#!/usr/bin/env python3
"""parley-load holds back connects near its open-files limit instead of failing them with EMFILE
(Sources/ParleyLoad/Swarm/ConnectWindow.swift). On the direct receive path a client holds two
descriptors until it is ready, and a server that is slow to answer upgrades keeps many pending.

A server in this script answers each WebSocket upgrade one second late; parley-load runs 300 raw
clients under an open-files limit of 600 (prlimit). All 300 pending at once would need ~640
descriptors; with the window parley-load keeps at most 600 - 128 - 300 = 172 pending, so every
client must connect, none with "too many open files", and the slowest connect must take two of
the upgrades' seconds from its due time (held back: the window was used, not merely never reached).

Run by `make test` (target harness-self-check) after the release build.
"""

import asyncio
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

from parleybench.checklist import Checklist
from parleybench.orchestra import LOAD, free_port, raise_open_files_limit

CHECKS = Checklist()
check = CHECKS.check
CLIENTS, OPEN_FILES, UPGRADE_DELAY = 300, 600, 1.0
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


async def slow_upgrade(reader, writer):
    try:
        request = await reader.readuntil(b"\r\n\r\n")
        key = next(line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest()).decode()
        await asyncio.sleep(UPGRADE_DELAY)
        writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        await writer.drain()
        while await reader.read(65536):  # hold the connection; what the client sends is dropped
            pass
    except (asyncio.IncompleteReadError, ConnectionError, StopIteration):
        pass
    finally:
        writer.close()


def serve(port, ready, stop):
    async def main():
        server = await asyncio.start_server(slow_upgrade, "127.0.0.1", port, backlog=4096)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        server.close()
    asyncio.run(main())


def main():
    if not shutil.which("prlimit"):
        sys.exit("connect_window: needs prlimit (util-linux)")
    raise_open_files_limit()  # the server holds 300 sockets too
    port = free_port()
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=serve, args=(port, ready, stop), daemon=True)
    thread.start()
    ready.wait(10)
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
        stop.set()
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
    CHECKS.finish("parley-load near its open-files limit: connects held back, none failed")


if __name__ == "__main__":
    main()
