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
    """`synchronous_standby`: a commit waits until a standby has it (`start_standby`), so what
    the primary acknowledged survives its loss. `durable`: a commit waits for the server's own
    WAL write (`synchronous_commit` left on), so what it acknowledged survives its crash; off by
    default for speed."""

    def __init__(self, lab=None, host="pg", synchronous_standby=False, durable=False):
        self.directory = tempfile.mkdtemp(prefix="parley-pg-")
        self.data = os.path.join(self.directory, "data")
        self.lab, self.host = lab, host
        self.address = lab.address[host] if lab else "127.0.0.1"
        self.port = LAB_PORT if lab else free_port()
        self.url = f"postgres://postgres@{self.address}:{self.port}/postgres"
        self.synchronous_standby = synchronous_standby
        self.durable = durable or synchronous_standby

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
        if self.synchronous_standby:
            # In the file: pg_ctl hands -o to a shell, which would glob the '*'.
            self._append_settings(["synchronous_commit = on", "synchronous_standby_names = '*'"])
        self._start_server()

    def _append_settings(self, lines):
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write("\n" + "\n".join(lines) + "\n")

    def _start_server(self):
        quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
        if self.lab:
            # initdb trusts loopback only; the lab's nodes connect from their own addresses.
            with open(os.path.join(self.data, "pg_hba.conf"), "a") as hba:
                hba.write("host all all 169.254.0.0/16 trust\n")
        # synchronous_commit off unless durable, or a standby must have each commit (fsync stays off:
        # the failover tests kill processes, not the machine, so the page cache survives).
        commit = "" if self.durable else "-c synchronous_commit=off "
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses={self.address} -c fsync=off "
                   f"{commit}-c full_page_writes=off -c max_connections=200")
        start = self._as_owner(["pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.directory, "log"), "-w", "start"])
        subprocess.run(self.lab.command(self.host, start) if self.lab else start, **quiet)

    def start_standby(self):
        """A hot standby of this (loopback) server on a port of its own, streaming its WAL
        (`pg_basebackup -R`; initdb's pg_hba trusts replication from loopback). It asks for no
        standby itself, so that once promoted it commits alone."""
        standby = Postgres()
        if os.geteuid() == 0:
            shutil.chown(standby.directory, "postgres")
        subprocess.run(self._as_owner(["pg_basebackup", "-h", self.address, "-p", str(self.port), "-U", "postgres",
                                       "-D", standby.data, "-R", "-X", "stream", "-c", "fast"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        standby._append_settings(["synchronous_standby_names = ''", "hot_standby = on"])
        standby._start_server()
        return standby

    def restart(self):
        """Starts a stopped or killed server again on its data (crash recovery after a kill)."""
        self._start_server()

    def kill(self):
        """As a crash: every process ends at once, no checkpoint (`pg_ctl stop -m immediate`)."""
        subprocess.run(self._as_owner(["pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def promote(self):
        """A standby becomes the primary (`pg_ctl promote`, waiting until it accepts writes)."""
        subprocess.run(self._as_owner(["pg_ctl", "-D", self.data, "-w", "-t", "30", "promote"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def query(self, sql):
        """One value from `sql`, as psql prints it unaligned."""
        return subprocess.run([os.path.join(PG_BIN, "psql"), "-h", self.address, "-p", str(self.port), "-U", "postgres",
                               "-d", "postgres", "-tAc", sql], check=True, capture_output=True, text=True).stdout.strip()

    def stop(self):
        subprocess.run(self._as_owner(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        shutil.rmtree(self.directory, ignore_errors=True)
