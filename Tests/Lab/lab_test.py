#!/usr/bin/env python3
"""The scaling lab's simulated hosts (Benchmarks/lab.py), proved: hosts reach each other and the
machine cannot reach them, a CPU budget throttles, and a lab that exits, is interrupted (Ctrl-C)
or is killed outright (SIGKILL) leaves no namespace and no CPU group behind. Needs root.
Run by `make lab-test`."""

import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from parleybench.checklist import Checklist
from parleybench.lab import LAB_SCRIPT, PREFIX, SUBNET, Lab, leftovers, namespaces, run


ECHO_SERVER = """
import socket, sys
server = socket.socket()
server.bind((sys.argv[1], 7007))
server.listen()
print("listening", flush=True)
connection, _ = server.accept()
connection.sendall(b"echo: " + connection.recv(100))
"""

ECHO_CLIENT = """
import socket, sys
client = socket.create_connection((sys.argv[1], 7007), timeout=2)
client.sendall(b"hello from b")
print(client.recv(100).decode())
"""

BUSY_LOOP = """
import time
start = time.monotonic()
while time.monotonic() - start < 1.0:
    pass
print(time.process_time())
"""


def main():
    """The lab's own proof, run by `make lab-test`: hosts reach each other and only each other,
    a budget throttles, and a lab whose process is killed leaves nothing behind."""
    checks = Checklist()
    check = checks.check

    if leftovers():
        sys.exit(f"lab-test: a lab is already up: {leftovers()}")
    with Lab(["a", "b"], cpu={"b": 0.2}) as lab:
        print(lab.describe())
        server = lab.popen("a", [sys.executable, "-c", ECHO_SERVER, lab.address["a"]], stdout=subprocess.PIPE, text=True)
        server.stdout.readline()
        # While a listens: the machine itself cannot reach it, b can. (On a sandboxed machine an
        # outbound proxy may answer the machine's attempt; what matters is that a never does.)
        outside = subprocess.run([sys.executable, "-c", ECHO_CLIENT, lab.address["a"]], capture_output=True, text=True, timeout=20)
        check("echo:" not in outside.stdout, "the machine itself cannot reach a lab host (the lab is not on its network)")
        reply = subprocess.run(lab.command("b", [sys.executable, "-c", ECHO_CLIENT, lab.address["a"]]),
                               capture_output=True, text=True, timeout=20)
        check(reply.stdout.strip() == "echo: hello from b", f"b reaches a across the bridge ({reply.stdout.strip() or reply.stderr.strip()[-200:]})")
        server.kill()
        server.wait()
        routes = run("ip", "-4", "addr", "show").stdout
        check(SUBNET not in routes, "no lab address or interface in the machine's own namespace")
        # 1 s of a busy loop under a 0.2-core budget: about 0.2 s of CPU.
        busy = subprocess.run(lab.command("b", [sys.executable, "-c", BUSY_LOOP]), capture_output=True, text=True, timeout=30)
        cpu = float(busy.stdout.strip() or "nan")
        check(0.1 <= cpu <= 0.35, f"a 0.2-core budget held a busy second to {cpu:.2f} CPU s")
    check(leftovers() == [], f"a lab that exits leaves nothing ({leftovers()})")

    # Ctrl-C, and a lab whose process is killed outright (its watchdog removes it).
    for how, stop in [("Ctrl-C (SIGINT)", signal.SIGINT), ("SIGKILL", signal.SIGKILL)]:
        lab_process = subprocess.Popen([sys.executable, LAB_SCRIPT, "up", "x", "y", "--cpu", "y=0.5"],
                                       stdout=subprocess.PIPE, text=True)
        while "Ctrl-C" not in (lab_process.stdout.readline() or "Ctrl-C"):
            pass
        check(len(namespaces()) == 3 and leftovers()[-1].endswith(PREFIX), f"a lab is up ({leftovers()})")
        lab_process.send_signal(stop)
        lab_process.wait()
        deadline = time.monotonic() + 10
        while leftovers() and time.monotonic() < deadline:
            time.sleep(0.1)
        check(leftovers() == [], f"a lab stopped with {how} leaves nothing ({leftovers()})")
    checks.finish("lab: hosts, isolation, CPU budgets and teardown hold")


if __name__ == "__main__":
    main()
