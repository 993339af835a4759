#!/usr/bin/env python3
"""Distributed parley-load, proved end to end with the real binaries on loopback
(`make agents-test`, in `make test`):

- the same run split over 2 agents and run by 1 agent (same event loops in all) agrees: counts
  equal and complete, merged p50/p99 within a margin (medians of alternating rounds);
- an agent killed mid-run (SIGKILL) fails the coordinator with exit 4, naming the agent; one
  stopped (SIGSTOP) fails it as stalled;
- garbage, a wrong version and a second coordinator each get a clear `failed` line, and the
  agent keeps serving.
"""

import json
import os
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from parleybench.checklist import Checklist
from parleybench.orchestra import free_port, wait_for_port
BIN = os.environ.get("PARLEY_BIN_DIR", os.path.join(ROOT, ".build", "release"))
MARGIN = float(os.environ.get("AGENTS_MARGIN", "1.5"))
ROUNDS = int(os.environ.get("AGENTS_ROUNDS", "3"))

SCENARIO = """name: agents-agree
description: 600 members, one publisher at 10 msg/s for 6 s (split over agents or not).
clients: 600
connect: { rate: 400/s }
message: { kind: public, size: 128 }
phases:
  - { name: steady, duration: 6s, publishers: 1, rate: 10/s }
"""

LONG_SCENARIO = SCENARIO.replace("duration: 6s", "duration: 30s").replace("agents-agree", "agents-long")

CHECKS = Checklist()
check = CHECKS.check


def start(args, log):
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def agent(port, threads, log):
    process = start([f"{BIN}/parley-load", "agent", "--listen", f"127.0.0.1:{port}", "--threads", str(threads)], log)
    wait_for_port(port, process, seconds=10, name="agent")
    return process


def outcome(process, timeout=60):
    """The process's exit code and output, once it ends (killed after `timeout`)."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, out, err


def coordinate(scenario, agents, target, out, timeout=120):
    args = [f"{BIN}/parley-load", "run", scenario, "--target", target, "--agents", ",".join(agents), "--quiet"]
    if out:
        args += ["--out", out]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def figures(path):
    run = json.load(open(path))["runs"][0]
    overall = run["overall"]
    return {"expected": overall["expected"], "received": overall["received"], "connected": run["connect"]["connected"],
            "p50": overall["fanout"]["p50"], "p99": overall["fanout"]["p99"], "agents": run["agents"]}


def line_exchange(port, lines):
    """Sends lines to an agent, returns its first answer line (or '' when it closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall("".join(line + "\n" for line in lines).encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.decode().strip().split("\n")[0]


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def main():
    work = tempfile.mkdtemp(prefix="parley-agents-")
    log = open(os.path.join(work, "processes.log"), "w")
    scenario = os.path.join(work, "agree.yaml")
    open(scenario, "w").write(SCENARIO)
    long_scenario = os.path.join(work, "long.yaml")
    open(long_scenario, "w").write(LONG_SCENARIO)
    server_port, a1, a2, both = free_port(), free_port(), free_port(), free_port()
    processes = [start([f"{BIN}/parley", "serve", "--host", "127.0.0.1", "--port", str(server_port),
                        "--unlimited-ip", "127.0.0.1"], log)]
    try:
        wait_for_port(server_port, processes[0], seconds=10, name="parley serve")
        target = f"ws://127.0.0.1:{server_port}/"
        # Two agents of one loop each, and one agent of two loops: the same generator resources.
        first, second, single = agent(a1, 1, log), agent(a2, 1, log), agent(both, 2, log)
        processes += [first, second, single]

        print("agreement: 2 agents (1 loop each) vs 1 agent (2 loops), alternating")
        split, whole = [], []
        for round_ in range(ROUNDS):
            for name, agents, into in (("2 agents", [f"127.0.0.1:{a1}", f"127.0.0.1:{a2}"], split),
                                       ("1 agent", [f"127.0.0.1:{both}"], whole)):
                out = os.path.join(work, f"run-{round_}-{len(into)}-{len(agents)}.json")
                result = coordinate(scenario, agents, target, out)
                check(result.returncode == 0, f"round {round_ + 1}, {name}: exit {result.returncode} {result.stderr.strip()[-300:]}")
                if result.returncode == 0:
                    into.append(figures(out))
                    f = into[-1]
                    print(f"      {name}: connected {f['connected']}, {f['received']}/{f['expected']} received, "
                          f"p50 {f['p50']} µs, p99 {f['p99']} µs", flush=True)
        if split and whole:
            for f in split + whole:
                check(f["received"] == f["expected"] > 0,
                      f"complete: {f['received']} of {f['expected']}")
            check(all(f["expected"] == split[0]["expected"] for f in split + whole),
                  f"equal counts: expected {[f['expected'] for f in split + whole]}")
            check(all(len(f["agents"]) == 2 for f in split) and all(len(f["agents"]) == 1 for f in whole),
                  "each report breaks its figures down per agent")
            check(all(a["clockErrorMicros"] < 5000 for f in split for a in f["agents"]),
                  "clock error bounds under 5 ms on loopback")
            for key in ("p50", "p99"):
                s, w = median([f[key] for f in split]), median([f[key] for f in whole])
                ratio = max(s, w) / max(min(s, w), 1)
                check(ratio <= MARGIN, f"merged {key}: 2 agents {s} µs, 1 agent {w} µs, ratio {ratio:.2f} (margin {MARGIN})")

        print("an agent killed mid-run")
        victim = agent(free_port(), 1, log)
        processes.append(victim)
        victim_address = victim.args[3]
        coordinator = subprocess.Popen(
            [f"{BIN}/parley-load", "run", long_scenario, "--target", target, "--agents",
             f"127.0.0.1:{a1},{victim_address}", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(6)
        victim.kill()
        code, out, err = outcome(coordinator)
        check(code == 4, f"the coordinator exits 4 (agent lost), not 0/99/3: got {code}")
        check(f"agent {victim_address}" in err and "closed the connection" in err, f"it names the agent: {err.strip()[-240:]}")
        check("report:" not in out, "no report is written from partial figures")

        print("an agent stopped mid-run (SIGSTOP): stalled")
        frozen = agent(free_port(), 1, log)
        processes.append(frozen)
        frozen_address = frozen.args[3]
        coordinator = subprocess.Popen(
            [f"{BIN}/parley-load", "run", long_scenario, "--target", target, "--agents", frozen_address, "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(5)
        os.kill(frozen.pid, signal.SIGSTOP)
        started = time.monotonic()
        code, out, err = outcome(coordinator)
        os.kill(frozen.pid, signal.SIGCONT)
        check(code == 4 and "stalled" in err and frozen_address in err,
              f"exit 4, stalled, named, after {time.monotonic() - started:.0f} s: {err.strip()[-200:]}")

        print("bad input to an agent: a clear answer, and it keeps serving")
        garbage = line_exchange(a1, ["GET / HTTP/1.1"])
        check('"failed"' in garbage and "parley-load agent" in garbage, f"garbage: {garbage[:160]}")
        wrong = line_exchange(a1, [json.dumps({"type": "hello", "version": 999})])
        check('"failed"' in wrong and "version mismatch" in wrong, f"wrong version: {wrong[:160]}")
        hold = socket.create_connection(("127.0.0.1", a1), timeout=5)
        hold.sendall((json.dumps({"type": "hello", "version": 1}) + "\n").encode())
        hold.recv(4096)
        busy = line_exchange(a1, [json.dumps({"type": "hello", "version": 1})])
        check('"failed"' in busy and "busy" in busy, f"a second coordinator: {busy[:160]}")
        hold.close()
        time.sleep(0.5)
        result = coordinate(scenario, [f"127.0.0.1:{a1}"], target, os.path.join(work, "after.json"))
        check(result.returncode == 0, f"the agent still serves a coordinator afterwards (exit {result.returncode})")
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    if CHECKS.failures:
        print(f"logs: {work}")
    CHECKS.finish("agents-test: passed")


if __name__ == "__main__":
    main()
