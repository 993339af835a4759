#!/usr/bin/env python3
"""What `--auth jwt` costs a connect: `parley serve` (one event loop, pinned to core 0) with
`--auth none`, `--auth jwt` over an HS256 secret and over an ES256 public key, each taking
N clients that parley-load (pinned to core 1) connects as fast as it can and names, each with
its own minted token. Rounds alternate the modes' order.

The figures are not parley-load's: the server's CPU comes from /proc (user + system) over the
window from its first to its last accepted upgrade, and that window from its own /metrics
(`parley_connections_accepted_total`, polled every 20 ms). So: accepted connects per second
over the window, server CPU per connect, and the ceiling one core gives (1 s over the CPU per
connect). parley-load's connect latency (each client's upgrade from its scheduled instant) and
its errors come beside them. A second pass offers a paced 500 connects/s, well under what the
core accepts, so its connect latency is the upgrade's own and not a queue: the added latency.

    auth_connect.py                        5,000 clients, 3 rounds, none / hs256 / es256
    auth_connect.py --clients 2000 --rounds 5 --modes none,es256
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from parleybench.orchestra import LOAD, free_port, median, parley_server, pinned

MODES = ("none", "hs256", "es256")


def make_keys(directory):
    """An HS256 secret, and an ES256 key pair (openssl, from Debian)."""
    secret = os.path.join(directory, "secret.txt")
    with open(secret, "w") as f:
        f.write(os.urandom(24).hex() + "\n")
    private = os.path.join(directory, "es256.pem")
    public = os.path.join(directory, "es256-public.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", private],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", private, "-pubout", "-out", public], check=True, capture_output=True)
    return {"hs256": (secret, secret), "es256": (public, private)}


def scenario(url, clients, mode, keys, rate):
    auth = ""
    if mode != "none":
        _, signing = keys[mode]
        field = "secret" if mode == "hs256" else "key"
        auth = f'auth: {{ {field}: {signing}, claims: {{ sub: "u{{i}}" }}, lifetime: 1h }}'
    return f"""name: auth-connect-{mode}
target: {url}
clients: {clients}
connect: {{ rate: {rate}/s, timeout: 30s }}
members: none
settle: 200ms
{auth}
phases:
  - {{ name: idle, duration: 1s, publishers: 1, rate: 1/s }}
"""


def accepted(metrics_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("parley_connections_accepted_total "):
                return int(float(line.split()[1]))
    return 0


def measure(mode, clients, keys, directory, rate=20000):
    port, metrics_port = free_port(), free_port()
    # Every client may wait for its upgrade at once: the offered rate is above what one core accepts.
    extra = ["--event-loops", "1", "--metrics-port", str(metrics_port), "--max-pending-upgrades", "10000"]
    if mode != "none":
        extra += ["--auth", "jwt", "--jwt-key", keys[mode][0]]
    with parley_server(port, extra) as server:
        path = os.path.join(directory, f"{mode}.yaml")
        report = os.path.join(directory, f"{mode}.json")
        with open(path, "w") as f:
            f.write(scenario(server.url, clients, mode, keys, rate))
        marks = {}
        done = threading.Event()

        def watch():  # the server's own count of accepted upgrades, and its CPU at the first and the last
            while not done.is_set():
                try:
                    count, cpu, now = accepted(metrics_port), server.cpu_seconds(), time.monotonic()
                except OSError:  # a metrics request that timed out while the server was busiest
                    continue
                if count > 0 and "first" not in marks:
                    marks["first"] = (now, cpu, count)
                if count >= clients:
                    marks["last"] = (now, cpu, count)
                    return
                time.sleep(0.02)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        result = subprocess.run(pinned(1, [LOAD, "run", path, "--quiet", "--out", report]), capture_output=True, text=True)
        done.set()
        watcher.join(timeout=5)
        if result.returncode not in (0, 3) or not os.path.exists(report):
            raise RuntimeError(f"parley-load failed ({mode}): {result.stderr.strip()[-400:]}")
        with open(report) as f:
            run = json.load(f)["runs"][0]
    if "first" not in marks or "last" not in marks:
        raise RuntimeError(f"{mode}: the server's count never reached {clients} while parley-load ran "
                           f"(it saw {run['connect']['ready']} ready, errors {run['connect']['errors']}; stderr: {result.stderr.strip()[-300:]})")
    (t0, cpu0, n0), (t1, cpu1, n1) = marks["first"], marks["last"]
    window = max(t1 - t0, 1e-3)
    cpu_per_connect = (cpu1 - cpu0) / max(n1 - n0, 1)
    return {
        "mode": mode, "connectsPerSecond": (n1 - n0) / window, "cpuMicrosPerConnect": cpu_per_connect * 1e6,
        "ceilingPerCore": 1 / cpu_per_connect if cpu_per_connect > 0 else None,
        "connectP50": run["connect"]["latency"]["p50"], "connectP99": run["connect"]["latency"]["p99"],
        "errors": sum(run["connect"]["errors"].values()), "ready": run["connect"]["ready"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--paced-clients", type=int, default=1000, help="clients of the paced (500/s) pass")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--json", help="write every round's figures here")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if any(m not in MODES for m in modes):
        sys.exit(f"--modes takes {', '.join(MODES)}")
    rounds = []
    with tempfile.TemporaryDirectory() as directory:
        keys = make_keys(directory)
        for index in range(args.rounds):
            order = modes if index % 2 == 0 else list(reversed(modes))
            figures = {}
            for mode in order:
                figures[mode] = measure(mode, args.clients, keys, directory)
                paced = measure(mode, args.paced_clients, keys, directory, rate=500)
                figures[mode]["pacedP50"], figures[mode]["pacedP99"] = paced["connectP50"], paced["connectP99"]
                f = figures[mode]
                print(f"round {index + 1} {mode:6}: {f['connectsPerSecond']:7.0f} connects/s accepted, "
                      f"{f['cpuMicrosPerConnect']:5.0f} us server CPU per connect, {f['ready']} ready, {f['errors']} errors; "
                      f"at 500/s connect p50 {f['pacedP50'] / 1000:.2f} ms p99 {f['pacedP99'] / 1000:.2f} ms", flush=True)
            rounds.append(figures)
    print(f"\nmedians over {len(rounds)} rounds, {args.clients} clients, server on one core:")
    print(f"{'mode':8}{'connects/s':>12}{'CPU us/connect':>16}{'1-core ceiling/s':>18}{'p50 ms @500/s':>15}{'p99 ms':>9}{'vs none CPU':>13}")
    base = median([r["none"]["cpuMicrosPerConnect"] for r in rounds]) if "none" in modes else None
    for mode in modes:
        cpu = median([r[mode]["cpuMicrosPerConnect"] for r in rounds])
        rate = median([r[mode]["connectsPerSecond"] for r in rounds])
        p50 = median([r[mode]["pacedP50"] for r in rounds]) / 1000
        p99 = median([r[mode]["pacedP99"] for r in rounds]) / 1000
        ratio = f"{cpu / base:.2f}x" if base else "-"
        print(f"{mode:8}{rate:12.0f}{cpu:16.0f}{1e6 / cpu:18.0f}{p50:15.2f}{p99:9.2f}{ratio:>13}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rounds, f, indent=2)


if __name__ == "__main__":
    main()
