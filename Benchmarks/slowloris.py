#!/usr/bin/env python3
"""Members' fan-out with and without a slowloris attack, read by two clients: the independent C
probe client (Benchmarks/reference/probe-client.c) and parley-load. The attacker is this script,
not parley-load: 2,000 sockets that each send half a request line and wait, reopened 100 ms after
the server closes one (its 10 s header timeout), for as long as a measurement runs.

`parley serve` runs with its default limits (header timeout 10 s, 2,500 sockets before their
upgrade) except the connect rates, opened for load from one address. Rounds alternate attacked
and calm, so a drift of the machine lands on both. Writes out/slowloris.txt.

    slowloris.py [--rounds 2] [--members 500] [--seconds 15] [--sockets 2000]
"""

import argparse
import json
import os
import selectors
import socket
import subprocess
import tempfile
import threading
import time

from parleybench.load_runs import scenario_yaml
from parleybench.orchestra import LOAD, PARLEY, ROOT, Server, free_port, median, pinned, probe_client, raise_open_files_limit


class HalfOpenAttacker(threading.Thread):
    """Holds `count` half-sent requests open against 127.0.0.1:`port` until stopped."""

    def __init__(self, port, count):
        super().__init__(daemon=True)
        self.port, self.count = port, count
        self.stopping = threading.Event()
        self.opened = self.closed_by_server = 0
        self.selector = selectors.DefaultSelector()

    def open_one(self):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", self.port))
        self.selector.register(sock, selectors.EVENT_WRITE, "connecting")

    def run(self):
        reopen = []
        for _ in range(self.count):
            self.open_one()
        while not self.stopping.is_set():
            now = time.monotonic()
            while reopen and reopen[0] <= now:
                reopen.pop(0)
                self.open_one()
            for key, _ in self.selector.select(timeout=0.05):
                sock = key.fileobj
                if key.data == "connecting" and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    sock.send(b"GET /ws HTTP/1.1\r\nHost: x\r\n")
                    self.selector.modify(sock, selectors.EVENT_READ, "held")
                    self.opened += 1
                    continue
                try:
                    data = sock.recv(4096) if key.data == "held" else b""
                except OSError:
                    data = b""
                if not data:
                    self.selector.unregister(sock)
                    sock.close()
                    self.closed_by_server += 1
                    reopen.append(now + 0.1)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()

    @property
    def held(self):
        return sum(1 for key in self.selector.get_map().values() if key.data == "held")


def run_parley_load(server, members, seconds):
    with tempfile.TemporaryDirectory() as directory:
        scenario, report = os.path.join(directory, "s.yaml"), os.path.join(directory, "r.json")
        with open(scenario, "w") as f:
            f.write(scenario_yaml(server, members, 5, 5, seconds))
        subprocess.run(pinned(1, [LOAD, "run", scenario, "--quiet", "--out", report]), capture_output=True, text=True)
        with open(report) as f:
            run = json.load(f)["runs"][0]
    overall = run["overall"]
    return {"p50": overall["fanout"]["p50"], "p99": overall["fanout"]["p99"], "received": overall["received"],
            "expected": overall["expected"], "validity": run.get("validity", "valid")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--out", default=os.path.join(ROOT, "out"))
    args = parser.parse_args()
    raise_open_files_limit()
    # The attacker (this process) on the server's core, away from the clients measuring on core 1:
    # its bursts of reconnects must not delay the clients' own timestamps.
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {0})
    port = free_port()
    command = [PARLEY, "serve", "--port", str(port), "--no-web", "--log-level", "error",
               "--connect-rate", "100000", "--connect-rate-per-ip", "100000"]
    results = {(client, attacked): [] for client in ("C client", "parley-load") for attacked in (False, True)}
    with Server("parley", command, port, f"ws://127.0.0.1:{port}/ws") as server:
        for round_index in range(args.rounds):
            for attacked in ((True, False) if round_index % 2 else (False, True)):
                attacker = HalfOpenAttacker(port, args.sockets) if attacked else None
                if attacker:
                    attacker.start()
                    time.sleep(2)  # the 2,000 sockets in place before the members arrive
                for client in ("C client", "parley-load"):
                    if client == "C client":
                        figures = probe_client("parley", port, args.members, 5, 5, args.seconds)
                    else:
                        figures = run_parley_load(server, args.members, args.seconds)
                    results[(client, attacked)].append(figures)
                    extra = f", attacker held {attacker.held}, server closed {attacker.closed_by_server}" if attacker else ""
                    if "validity" in figures:
                        extra += f", parley-load {figures['validity']}"
                    print(f"  round {round_index + 1} {'attacked' if attacked else 'calm':8s} {client:11s} "
                          f"p50 {figures['p50'] / 1000:6.2f} ms  p99 {figures['p99'] / 1000:6.2f} ms  "
                          f"received {figures['received']}/{figures['expected']}{extra}", flush=True)
                if attacker:
                    attacker.stopping.set()
                    attacker.join()
    lines = [f"slowloris: {args.members} members, 5 publishers x 5 msg/s, {args.seconds} s; {args.sockets} half-open sockets; "
             f"medians of {args.rounds} rounds",
             f"{'client':11s}  {'calm p99 ms':>11s}  {'attacked p99 ms':>15s}  {'ratio':>6s}  lost"]
    for client in ("C client", "parley-load"):
        calm = median([run["p99"] for run in results[(client, False)]])
        attacked = median([run["p99"] for run in results[(client, True)]])
        lost = sum(run["expected"] - run["received"] for attacked_flag in (False, True) for run in results[(client, attacked_flag)])
        lines.append(f"{client:11s}  {calm / 1000:11.2f}  {attacked / 1000:15.2f}  {attacked / max(calm, 1):5.2f}x  {lost}")
    text = "\n".join(lines)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "slowloris.txt"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
