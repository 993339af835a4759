"""A throwaway PostgreSQL for the cluster's scripts and tests: initdb and pg_ctl in a temporary
directory, fsync off, removed again on stop. On a free loopback port by default; on a host of
the scaling lab with `lab=` (initdb outside, the server inside the host's namespace, trusting
the lab's addresses). Binaries from PG_BIN (default /usr/lib/postgresql/15/bin, `make postgres`);
run as the `postgres` user when this runs as root."""

import os
import shutil
import subprocess
import sys
import tempfile

from parleybench.orchestra import free_port

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
LAB_PORT = 5432


class Postgres:
    def __init__(self, lab=None, host="pg"):
        self.directory = tempfile.mkdtemp(prefix="parley-pg-")
        self.data = os.path.join(self.directory, "data")
        self.lab, self.host = lab, host
        self.address = lab.address[host] if lab else "127.0.0.1"
        self.port = LAB_PORT if lab else free_port()
        self.url = f"postgres://postgres@{self.address}:{self.port}/postgres"

    def _as_owner(self, argv):
        argv = [os.path.join(PG_BIN, argv[0])] + list(argv[1:])
        return ["runuser", "-u", "postgres", "--"] + argv if os.geteuid() == 0 else argv

    def start(self):
        if not os.path.exists(os.path.join(PG_BIN, "initdb")):
            sys.exit(f"postgres: no PostgreSQL binaries in {PG_BIN} (make postgres installs them)")
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
        subprocess.run(self._as_owner(["initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]), **quiet)
        if self.lab:
            # initdb trusts loopback only; the lab's nodes connect from their own addresses.
            with open(os.path.join(self.data, "pg_hba.conf"), "a") as hba:
                hba.write("host all all 169.254.0.0/16 trust\n")
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses={self.address} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        start = self._as_owner(["pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.directory, "log"), "-w", "start"])
        subprocess.run(self.lab.command(self.host, start) if self.lab else start, **quiet)

    def stop(self):
        subprocess.run(self._as_owner(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        shutil.rmtree(self.directory, ignore_errors=True)
