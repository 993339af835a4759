"""Parley nodes for the cluster's scripts and tests: `parley serve` with the limits a load run
needs out of its way, on its own loopback address (127.0.0.11, .12, ...) as if on separate
hosts, alone (memory store) or over one PostgreSQL; and a whole cluster started and stopped."""

import os
import subprocess
import sys

from parleybench.orchestra import ROOT, stop
from parleybench.postgres import Postgres

BUILD = os.environ.get("PARLEY_BUILD", os.path.join(ROOT, ".build", "release"))
PARLEY = os.path.join(BUILD, "parley")
LOAD = os.path.join(BUILD, "parley-load")


def node_command(host, port, index, postgres_url=None):
    """`parley serve` for node `index` (0-based) on host:port, over `postgres_url` if given."""
    command = [PARLEY, "serve", "--host", host, "--port", str(port), "--log-level", "warning",
               "--max-connections", "19000", "--connect-rate", "100000", "--inbound-rate", "100000",
               # every client comes from a few addresses (loopback's, or the lab's agents')
               "--max-connections-per-ip", "19000", "--connect-rate-per-ip", "100000",
               "--max-pending-upgrades", "500"]
    if postgres_url:
        command += ["--store", "postgres", "--postgres-url", postgres_url, "--node-id", f"node-{index + 1}"]
    return command


class Node:
    """One `parley serve --store postgres` (or memory) on its own loopback address."""

    def __init__(self, index, postgres_url, port=8080, store="postgres", extra=()):
        self.host = f"127.0.0.{11 + index}"
        self.port = port
        self.url = f"ws://{self.host}:{port}/ws"
        self.page = f"http://{self.host}:{port}/"
        self.command = node_command(self.host, port, index, postgres_url if store == "postgres" else None) + list(extra)
        self.process = None

    def start(self):
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if "parley listening" not in line:
            self.process.wait(timeout=10)
            sys.exit(f"nodes: node {self.host} did not start (exit {self.process.returncode})")

    def stop(self):
        stop(self.process, timeout=15)


def require_binaries():
    for binary in (PARLEY, LOAD):
        if not os.path.exists(binary):
            sys.exit(f"nodes: {binary} is missing (make release)")


def start_cluster(count, store="postgres"):
    postgres = Postgres() if store == "postgres" else None
    nodes = []
    try:
        if postgres:
            postgres.start()
        for index in range(count):
            node = Node(index, postgres.url if postgres else None, store=store)
            node.start()
            nodes.append(node)
    except BaseException:
        stop_cluster(postgres, nodes)
        raise
    return postgres, nodes


def stop_cluster(postgres, nodes):
    for node in nodes:
        node.stop()
    if postgres:
        postgres.stop()
