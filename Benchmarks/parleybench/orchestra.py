"""Process orchestration shared by the benchmark scripts: paths, a free port, pinning to a
core, a server process that is started, waited for and stopped, and its CPU and memory.

Every script in Benchmarks/ and Tests/ that starts a server imports this instead of writing its own."""

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, ".build")
LOAD = os.path.join(BUILD, "release", "parley-load")
PARLEY = os.path.join(BUILD, "release", "parley")
REFERENCE = os.path.join(ROOT, "Benchmarks", "reference")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def median(values):
    """The middle value (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def pinned(core, command):
    """The command on one core, where taskset exists and there is more than one core."""
    if shutil.which("taskset") and os.cpu_count() and os.cpu_count() > 1:
        return ["taskset", "-c", str(core)] + command
    return command


def build_c(name):
    """Compiles Benchmarks/reference/NAME.c into .build/NAME when the source is newer."""
    source = os.path.join(REFERENCE, name + ".c")
    binary = os.path.join(BUILD, name)
    os.makedirs(BUILD, exist_ok=True)
    if stale(binary, source):
        # liburing where Debian's liburing-dev is installed (`make liburing`): the limit server's --uring.
        uring = ["-luring"] if os.path.exists("/usr/include/liburing.h") else []
        subprocess.run(["cc", "-O2", "-Wall", "-o", binary, source, "-lm", *uring], check=True)
    return binary


def stale(binary, source):
    """True when `binary` is missing or older than its `source`: build it (again)."""
    return not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(source)


def raise_open_files_limit():
    """The soft limit on open files up to the hard one, for this process and what it starts
    (thousands of sockets)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def wait_for_port(port, process=None, host="127.0.0.1", seconds=20, name="server"):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}")
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on {host}:{port} within {seconds} s")


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def stop(process, timeout=10):
    """SIGTERM, then SIGKILL after `timeout` seconds; waits for the process either way."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Server:
    """One server process on a loopback port (pinned to `core`), started on entry and stopped
    with SIGTERM (then SIGKILL) on exit."""

    def __init__(self, name, command, port, url, core=0):
        self.name, self.command, self.port, self.url, self.core = name, command, port, url, core
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(pinned(self.core, self.command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(self.port, self.process, name=self.name)
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        stop(self.process)

    def cpu_seconds(self):
        return cpu_seconds(self.process.pid)

    def rss_bytes(self):
        return rss_bytes(self.process.pid)


def limit_server(port, rooms=False, uring=False, ring_entries=None):
    """The C reference server (Benchmarks/reference/limit-server.c) on `port`; `rooms`: its rooms
    mode (numbered rooms joined with "join:N", a message "N|..." to room N's members); `uring`:
    each broadcast's sends as one io_uring submission (of `ring_entries` sends at most)."""
    binary = build_c("limit-server")
    command = [binary, "--port", str(port), "--lifetime-s", "3600", *(["--rooms"] if rooms else []),
               *(["--uring"] if uring else []), *(["--ring-entries", str(ring_entries)] if ring_entries else [])]
    return Server("c-limit-uring" if uring else "c-limit", command, port, f"ws://127.0.0.1:{port}/")


def parley_server(port, extra=(), max_connections=19000, pending_upgrades=500):
    """`parley serve` (release) with the admission quotas opened up for load. `pending_upgrades`
    None: what the open-files limit leaves beside `max_connections` (the server says how many)."""
    pending = [] if pending_upgrades is None else ["--max-pending-upgrades", str(pending_upgrades)]
    command = [PARLEY, "serve", "--port", str(port), "--max-connections", str(max_connections), "--connect-rate", "100000",
               "--max-connections-per-ip", str(max_connections), "--connect-rate-per-ip", "100000", *pending,
               "--inbound-rate", "100000", "--no-web", "--log-level", "warning", *extra]
    return Server("parley", command, port, f"ws://127.0.0.1:{port}/ws")


def probe_client(server_name, port, clients, publishers, rate, seconds, core=1, server=None, rooms=0, rooms_per_client=1,
                 connect_rate=None):
    """The independent C client (Benchmarks/reference/probe-client.c) putting a load on a server:
    Parley's protocol on /ws for `parley` — with no member feed, as parley-load's scenarios ask
    (`members: none`), so both put the same load on it — a raw relay on / for the others. Its
    JSON line, plus `cpuPerFrameMicros`; given the `server`, also the server's CPU over the
    client's timed window (`serverCpuSeconds`, `serverCpuMicrosPerDelivery`): connecting and
    joining are left out, the drain of the last messages is in. `rooms` R > 0: the clients spread
    over R rooms, `rooms_per_client` each, and each publisher publishes to its own (probe-client
    --rooms; against the C server, its rooms mode: limit_server(rooms=True)). `connect_rate`: the
    client's --connect-rate (1e6: as fast as the server takes them); the server's CPU over the
    connects, per client, is `serverCpuMicrosPerConnection`, beside the client's `connectSeconds`."""
    binary = build_c("probe-client")
    mode, path = ("parley", "/ws?members=none") if server_name == "parley" else ("raw", "/")
    command = [binary, "--port", str(port), "--path", path, "--mode", mode, "--clients", str(clients),
               "--publishers", str(publishers), "--rate", str(rate), "--seconds", str(seconds)]
    if rooms:
        command += ["--rooms", str(rooms), "--rooms-per-client", str(rooms_per_client)]
    if connect_rate:
        command += ["--connect-rate", f"{connect_rate:g}"]
    process = subprocess.Popen(pinned(core, command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marks, errors = {}, []

    def watch():  # the client says where its window begins and ends; the server's CPU is read there
        for line in process.stderr:
            if line.strip() in ("connecting", "connected", "measuring", "measured") and server is not None:
                marks[line.strip()] = server.cpu_seconds()
            else:
                errors.append(line)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    output = process.stdout.read()
    process.wait()
    watcher.join(timeout=5)
    if process.returncode not in (0, 3):
        raise RuntimeError(f"probe-client failed against {server_name}: {''.join(errors).strip()[-400:]}")
    figures = json.loads(output)
    if "measuring" in marks and "measured" in marks:
        cpu = marks["measured"] - marks["measuring"]
        figures["serverCpuSeconds"] = cpu
        figures["serverCpuMicrosPerDelivery"] = cpu * 1e6 / figures["received"] if figures["received"] else None
    if "connecting" in marks and "connected" in marks:
        figures["serverCpuMicrosPerConnection"] = (marks["connected"] - marks["connecting"]) * 1e6 / clients
        figures["connectsPerSecond"] = clients / figures["connectSeconds"] if figures.get("connectSeconds") else None
    return figures
