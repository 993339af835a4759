#!/usr/bin/env python3
"""Simulated hosts on this machine: each "host" is a Linux network namespace with its own network
stack and one address, joined by veth pairs to a bridge that lives in a namespace of its own —
so nothing of the lab appears in the machine's own network, and traffic never leaves the lab.
Addresses come from 169.254.0.0/16 (link-local: never routed). A host may get a CPU budget
(cgroup v1's cpu controller, or cgroup v2's cpu.max). The kernel's sch_netem would add latency;
this machine's kernel lacks it, which `up` detects and says.

    lab.py up pg node1 node2 agent1 --cpu node1=0.15 --cpu node2=0.15   build it, print the hosts,
                                                                           tear it down on Ctrl-C
    lab.py exec node1 -- parley serve --host 169.254.77.2 ...           run a command on a host
    lab.py check                                                          list what a lab left (exit 1 if any)
    lab.py clean                                                          remove it

While it is up, /run/plab/lab.json describes it (hosts, namespaces, addresses): a scenario's
`faults:` cut and kill its hosts by name with `parley-load run SCENARIO --lab /run/plab/lab.json`.

Tests/Lab/lab_test.py (make lab-test) proves it: isolation, budgets, and nothing left behind.

Everything is removed on exit, on Ctrl-C and when the lab process dies by any means: a watchdog
process holds a pipe from it and tears the lab down when the pipe closes. Needs root.
"""

import argparse
import os
import signal
import sys
import time

from parleybench.lab import PREFIX, Lab, cgroup_root, clean, leftovers, namespaces, write


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="build the lab and keep it until Ctrl-C")
    up.add_argument("hosts", nargs="+")
    up.add_argument("--cpu", action="append", default=[], metavar="HOST=CORES", help="a CPU budget, e.g. node1=0.15")
    run_on = commands.add_parser("exec", help="run a command on a host of the lab that is up")
    run_on.add_argument("host")
    run_on.add_argument("argv", nargs=argparse.REMAINDER)
    commands.add_parser("check", help="list what a lab left behind; exit 1 if anything")
    commands.add_parser("clean", help="remove whatever a lab left")
    args = parser.parse_args()

    if args.command == "up":
        budgets = {}
        for item in args.cpu:
            host, _, cores = item.partition("=")
            try:
                budgets[host] = float(cores)
            except ValueError:
                sys.exit(f"lab.py: --cpu {item!r}: expected HOST=CORES, e.g. node1=0.15")
            if not 0.01 <= budgets[host] <= os.cpu_count():
                sys.exit(f"lab.py: --cpu {item!r}: between 0.01 and {os.cpu_count()} cores")
        with Lab(args.hosts, budgets) as lab:
            print(lab.describe(), flush=True)
            print("Ctrl-C removes it.", flush=True)
            try:
                # Set, not inherited: a shell starts background jobs with SIGINT ignored.
                signal.signal(signal.SIGINT, signal.default_int_handler)
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
    elif args.command == "exec":
        namespace = f"{PREFIX}-{args.host}"
        if namespace not in namespaces():
            sys.exit(f"lab.py: no host {args.host!r} is up (lab.py check)")
        argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
        groups, _ = cgroup_root()
        procs = os.path.join(groups, args.host, "cgroup.procs")
        if os.path.exists(procs):
            write(procs, os.getpid())
        os.execvp("ip", ["ip", "netns", "exec", namespace] + argv)
    elif args.command == "check":
        found = leftovers()
        print("\n".join(found) if found else "nothing left")
        sys.exit(1 if found else 0)
    else:
        clean()
        print("removed" if not leftovers() else f"still there: {leftovers()}")


if __name__ == "__main__":
    main()
