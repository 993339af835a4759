"""A Parley cluster on the scaling lab's hosts (parleybench.lab): PostgreSQL on `pg`, nodes on
n1…nN, load agents on a1…aK. Used by `make scale` (Benchmarks/scale.py) and the small lab of
make test (Tests/Lab/scale_test.py)."""

import subprocess
import time

from parleybench.nodes import LOAD, node_command
from parleybench.orchestra import stop
from parleybench.postgres import Postgres

NODE_PORT, AGENT_PORT = 8080, 7070


def start_node(lab, host, index, postgres_url, logs):
    command = node_command(lab.address[host], NODE_PORT, index, postgres_url)
    process = lab.popen(host, command, stdout=subprocess.PIPE, stderr=logs, text=True)
    line = process.stdout.readline()
    if "parley listening" not in line:
        stop(process)
        raise SystemExit(f"lab cluster: node {host} did not start: {line.strip()}")
    return process


def start_agent(lab, host, threads, logs):
    address = lab.address[host]
    process = lab.popen(host, [LOAD, "agent", "--listen", f"{address}:{AGENT_PORT}", "--threads", str(threads)],
                        stdout=logs, stderr=logs)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = subprocess.run(lab.command(host, ["python3", "-c", f"import socket; socket.create_connection(('{address}', {AGENT_PORT}), 1)"]),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if probe.returncode == 0:
            return process
        time.sleep(0.2)
    stop(process)
    raise SystemExit(f"lab cluster: the agent on {host} did not start")


class LabCluster:
    """PostgreSQL and `count` Parley nodes on the lab's hosts pg, n1…nN, for one measurement;
    `targets` are the nodes' WebSocket URLs. Leaving stops the nodes, then PostgreSQL; `stop_nodes`
    stops them earlier (to measure the bus with nobody else on it)."""

    def __init__(self, lab, count, logs):
        self.lab, self.count, self.logs = lab, count, logs
        self.postgres = Postgres(lab=lab)
        self.nodes = []
        self.targets = [f"ws://{lab.address[f'n{index + 1}']}:{NODE_PORT}/ws" for index in range(count)]

    def __enter__(self):
        try:
            self.postgres.start()
            for index in range(self.count):
                self.nodes.append(start_node(self.lab, f"n{index + 1}", index, self.postgres.url, self.logs))
        except BaseException:
            self.__exit__()
            raise
        return self

    def stop_nodes(self):
        for node in self.nodes:
            stop(node, timeout=10)

    def __exit__(self, *exc):
        self.stop_nodes()
        self.postgres.stop()
