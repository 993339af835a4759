"""Watching a lab host's blackhole routes from outside parley-load: when a scenario's cut
(`faults:`, a blackhole route in each host's namespace) began and ended on this process's
clock, which is the clock its observers keep. Used by Benchmarks/chaos.py and
Tests/Lab/faults_test.py."""

import subprocess
import threading
import time


class RouteWatch(threading.Thread):
    """Polls `host`'s blackhole routes every 20 ms: `appeared`, the first time one was there;
    `gone`, the first time after that none was. `wait_for_cut` and `wait_for_heal` block."""

    def __init__(self, lab, host, period=0.02):
        super().__init__(daemon=True)
        self.lab, self.host, self.period = lab, host, period
        self.appeared = self.gone = None
        self.stopping = threading.Event()

    def blackholes(self):
        listed = subprocess.run(["ip", "-n", self.lab.namespace(self.host), "route", "show", "type", "blackhole"],
                                capture_output=True, text=True)
        return listed.stdout.strip()

    def run(self):
        while not self.stopping.is_set():
            present = bool(self.blackholes())
            now = time.monotonic()
            if present and self.appeared is None:
                self.appeared = now
            if not present and self.appeared is not None and self.gone is None:
                self.gone = now
            time.sleep(self.period)

    def wait_for_cut(self, timeout, alive=lambda: True):
        return self._wait(lambda: self.appeared, timeout, alive)

    def wait_for_heal(self, timeout, alive=lambda: True):
        return self._wait(lambda: self.gone, timeout, alive)

    def _wait(self, value, timeout, alive):
        deadline = time.monotonic() + timeout
        while value() is None and time.monotonic() < deadline and alive():
            time.sleep(self.period)
        return value()

    def stop(self):
        self.stopping.set()
        self.join()
