#!/usr/bin/env python3
"""`parley serve` with few file descriptors (docs/PROTOCOL.md, "Limits"): started with a hard
limit of 128 open files, it is sent 300 connections that say nothing. Out of descriptors, accept
fails with EMFILE while the listening socket stays readable, and the event loop spins on it (a
full core, measured); so the server fits its connection and pending-upgrade caps inside the limit
at start, says so, and closes surplus sockets itself; a cap given on the command line that cannot
fit is refused at start instead. Its CPU must stay low, and once the sockets
go a WebSocket client is served again. Run by `make test` (target front-door-test).
"""

import base64
import os
import resource
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
from parleybench.checklist import Checklist
from parleybench.orchestra import PARLEY, free_port, wait_for_port

CHECKS = Checklist()
check = CHECKS.check


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def upgrade_status(port):
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n").encode())
        answer = sock.recv(256).decode(errors="replace")
    return int(answer.split(" ")[1]) if answer.startswith("HTTP/1.1 ") else 0


def main():
    port = free_port()

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))

    server = subprocess.Popen([PARLEY, "serve", "--port", str(port), "--no-web", "--log-level", "warning",
                               "--header-timeout", "60"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=low_limit)
    held = []
    try:
        wait_for_port(port, server, name="parley serve")
        check(upgrade_status(port) == 101, "served before the flood")
        for _ in range(300):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            held.append(sock)
        time.sleep(1)
        before = cpu_seconds(server.pid)
        time.sleep(3)
        used = cpu_seconds(server.pid) - before
        check(used < 0.5, f"no busy loop while descriptors are out: {used:.2f} CPU s in 3 s")
        check(server.poll() is None, "still running")
        for sock in held:
            sock.close()
        held = []
        deadline = time.time() + 10
        status = 0
        while time.time() < deadline and status != 101:
            try:
                status = upgrade_status(port)
            except OSError:
                status = 0
            if status != 101:
                time.sleep(0.2)
        check(status == 101, "served again once the descriptors are free")
    finally:
        for sock in held:
            sock.close()
        server.terminate()
        try:
            output, _ = server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    check("open-files limit 128" in output and "lowered to" in output,
          "the server said it fitted its caps to the limit: " + " | ".join(line for line in output.splitlines() if line)[:300])
    # A cap the operator gave is kept or refused, never lowered behind their back.
    refused = subprocess.run([PARLEY, "serve", "--port", str(free_port()), "--no-web", "--max-connections", "100"],
                             capture_output=True, text=True, timeout=30, preexec_fn=low_limit)
    check(refused.returncode == 64 and "--max-connections 100 does not fit the open-files limit 128" in refused.stderr
          and "at most 48" in refused.stderr,
          f"--max-connections 100 under 128 open files is refused at start (exit {refused.returncode}): {refused.stderr.strip()[:200]}")
    CHECKS.finish("accepting stays healthy when descriptors run out")


if __name__ == "__main__":
    main()
