"""The scaling lab's simulated hosts: each "host" a Linux network namespace with one address on a
bridge of its own (169.254.0.0/16, never routed), optionally with a CPU budget (cgroup v1 or v2);
torn down on exit, on Ctrl-C, and by a watchdog when the process dies any other way. Needs root.
Its command line (up, exec, check, clean) is Benchmarks/lab.py; its proof, Tests/Lab/lab_test.py."""

import json
import os
import signal
import subprocess
import sys
import time

PREFIX = "plab"
SUBNET = "169.254.77"
CGROUP_V1 = "/sys/fs/cgroup/cpu"
CGROUP_V2 = "/sys/fs/cgroup"
# The scheduler's quota period. A broadcast to 1,000 clients is ~9 ms of CPU in one burst: with
# a 10 ms period a 0.2-core budget would stall it for most of a period; 100 ms lets the burst
# through and throttles over the longer run (measured: p99 12.5 ms with 100 ms, 39 ms with 10 ms).
PERIOD_US = 100_000
# The lab's description while it is up (hosts, namespaces, addresses): what `parley-load run
# --lab` reads to do a scenario's faults: to the hosts by name. Removed with the lab.
DESCRIPTION = "/run/plab/lab.json"
# The command-line entry point (`lab.py up|exec|check|clean`) beside this library.
LAB_SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab.py")


def run(*command, check=True, quiet=True):
    return subprocess.run(command, check=check, text=True,
                          stdout=subprocess.PIPE if quiet else None, stderr=subprocess.STDOUT if quiet else None)


def namespaces():
    listed = run("ip", "netns", "list", check=False).stdout or ""
    return [line.split()[0] for line in listed.splitlines() if line.startswith(PREFIX + "-")]


def cgroup_root():
    """Where this lab's CPU groups live: cgroup v1's cpu hierarchy, else v2's unified one."""
    if os.path.exists(os.path.join(CGROUP_V1, "cpu.cfs_quota_us")):
        return os.path.join(CGROUP_V1, PREFIX), "v1"
    return os.path.join(CGROUP_V2, PREFIX), "v2"


def netem_available(namespace):
    """Whether this kernel can add latency: tried on a lab interface (the only certain test; the
    module may be built in, loadable, or absent), and removed again."""
    added = run("ip", "netns", "exec", namespace, "tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "1ms", check=False)
    if added.returncode != 0:
        return False
    run("ip", "netns", "exec", namespace, "tc", "qdisc", "del", "dev", "eth0", "root", check=False)
    return True


class Lab:
    """The hosts, their addresses and budgets. `with Lab([...]) as lab:` builds and removes it."""

    def __init__(self, hosts, cpu=None):
        if os.geteuid() != 0:
            sys.exit("lab.py: needs root (network namespaces and cgroups)")
        if len(hosts) != len(set(hosts)) or not hosts:
            sys.exit("lab.py: give each host a distinct name")
        for name in hosts:
            if not name.isalnum() or len(name) > 8:
                sys.exit(f"lab.py: host name {name!r}: letters and digits, at most 8 (interface names are short)")
        unknown = set(cpu or {}) - set(hosts)
        if unknown:
            sys.exit(f"lab.py: --cpu names hosts that are not in the lab: {', '.join(sorted(unknown))}")
        self.hosts = list(hosts)
        self.cpu = dict(cpu or {})
        self.switch = f"{PREFIX}-switch"
        self.address = {name: f"{SUBNET}.{index + 1}" for index, name in enumerate(self.hosts)}
        self.groups, self.cgroup_version = cgroup_root()
        self.watchdog = None

    def namespace(self, host):
        return f"{PREFIX}-{host}"

    def __enter__(self):
        if namespaces() or os.path.exists(self.groups):
            sys.exit("lab.py: a lab is already up (lab.py check lists it, lab.py clean removes it)")
        self.watchdog = start_watchdog()
        try:
            self.build()
        except BaseException:
            clean()
            raise
        return self

    def __exit__(self, *exc):
        clean()
        if self.watchdog:
            os.close(self.watchdog)

    def build(self):
        run("ip", "netns", "add", self.switch)
        run("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", self.switch, "link", "set", "br0", "up")
        for index, host in enumerate(self.hosts):
            namespace = self.namespace(host)
            run("ip", "netns", "add", namespace)
            # Created inside the host's namespace, the switch end moved out: neither end ever
            # exists in the machine's own namespace.
            run("ip", "-n", namespace, "link", "add", "eth0", "type", "veth", "peer", "name", f"p{index}")
            run("ip", "-n", namespace, "link", "set", f"p{index}", "netns", self.switch)
            run("ip", "-n", self.switch, "link", "set", f"p{index}", "master", "br0", "up")
            run("ip", "-n", namespace, "addr", "add", f"{self.address[host]}/16", "dev", "eth0")
            run("ip", "-n", namespace, "link", "set", "eth0", "up")
            run("ip", "-n", namespace, "link", "set", "lo", "up")
        self.apply_budgets()
        self.write_description()

    def write_description(self):
        os.makedirs(os.path.dirname(DESCRIPTION), exist_ok=True)
        hosts = {host: {"namespace": self.namespace(host), "address": self.address[host]} for host in self.hosts}
        with open(DESCRIPTION, "w") as description:
            json.dump({"hosts": hosts}, description, indent=2)

    def apply_budgets(self):
        if not self.cpu:
            return
        os.makedirs(self.groups, exist_ok=True)
        if self.cgroup_version == "v2":
            with open(os.path.join(CGROUP_V2, "cgroup.subtree_control"), "w") as control:
                control.write("+cpu")
            with open(os.path.join(self.groups, "cgroup.subtree_control"), "w") as control:
                control.write("+cpu")
        for host, cores in self.cpu.items():
            group = os.path.join(self.groups, host)
            os.makedirs(group, exist_ok=True)
            quota = max(1000, int(cores * PERIOD_US))
            if self.cgroup_version == "v1":
                write(os.path.join(group, "cpu.cfs_period_us"), PERIOD_US)
                write(os.path.join(group, "cpu.cfs_quota_us"), quota)
            else:
                write(os.path.join(group, "cpu.max"), f"{quota} {PERIOD_US}")

    def command(self, host, argv):
        """`argv` as run on `host`: in its namespace, and in its CPU group when it has a budget."""
        inside = ["ip", "netns", "exec", self.namespace(host)] + list(argv)
        if host not in self.cpu:
            return inside
        procs = os.path.join(self.groups, host, "cgroup.procs")
        # The shell joins the group, then becomes the command: everything it starts is counted.
        return ["sh", "-c", f'echo $$ > {procs} && exec "$@"', "lab"] + inside

    def throttling(self, host):
        """The scheduler's count for `host`'s budget so far: (periods, periods throttled, ms held back).
        A budgeted host that waits for its next period shows up here, not in its CPU time."""
        fields = {}
        try:
            with open(os.path.join(self.groups, host, "cpu.stat")) as stat:
                fields = dict((line.split() + ["0"])[:2] for line in stat)
        except OSError:
            return (0, 0, 0.0)
        held = int(fields.get("throttled_time", 0)) / 1e6 if "throttled_time" in fields \
            else int(fields.get("throttled_usec", 0)) / 1e3
        return (int(fields.get("nr_periods", 0)), int(fields.get("nr_throttled", 0)), held)

    def popen(self, host, argv, **kwargs):
        return subprocess.Popen(self.command(host, argv), **kwargs)

    def describe(self):
        lines = [f"lab: {len(self.hosts)} hosts on a bridge of their own ({SUBNET}.0/16, link-local)"]
        for host in self.hosts:
            budget = f"{self.cpu[host]:g} core (period {PERIOD_US // 1000} ms)" if host in self.cpu else "no CPU budget"
            lines.append(f"  {host:8s} {self.address[host]:15s} netns {self.namespace(host)}, {budget}")
        lines.append("  latency: " + ("sch_netem available" if netem_available(self.namespace(self.hosts[0]))
                                      else "none added — this kernel has no sch_netem (tc netem), so hosts are as close as loopback"))
        return "\n".join(lines)


def write(path, value):
    with open(path, "w") as file:
        file.write(str(value))


def clean():
    """Removes every namespace and CPU group a lab made (the veths and the bridge go with their
    namespaces); processes still in them are killed first."""
    for namespace in namespaces():
        pids = run("ip", "netns", "pids", namespace, check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run("ip", "netns", "delete", namespace, check=False)
    if os.path.exists(DESCRIPTION):
        os.remove(DESCRIPTION)
    groups, _ = cgroup_root()
    if os.path.isdir(groups):
        for child in sorted(os.listdir(groups)):
            path = os.path.join(groups, child)
            if os.path.isdir(path):
                remove_group(path)
        remove_group(groups)


def remove_group(path):
    """A cgroup is removed with rmdir once empty: its processes are killed and waited for."""
    for _ in range(50):
        try:
            with open(os.path.join(path, "cgroup.procs")) as procs:
                pids = [int(pid) for pid in procs.read().split()]
        except FileNotFoundError:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.rmdir(path)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"lab.py: could not remove {path}")


def leftovers():
    groups, _ = cgroup_root()
    return namespaces() + ([groups] if os.path.exists(groups) else [])


def start_watchdog():
    """A process in its own session that waits for this one to go — however it goes: the pipe's
    write end closes with it — and then removes the lab. Returns the write end to hold."""
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        os.setsid()
        os.close(write_end)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.read(read_end, 1)  # returns b"" when every write end is closed
        try:
            clean()
        finally:
            os._exit(0)
    os.close(read_end)
    return write_end
