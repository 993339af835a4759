"""Checks for the test scripts under Tests/: each prints ok or FAIL as it is made, and `finish`
exits 1 saying how many failed (or prints the verdict), so a script reads as its list of claims."""

import sys


class Checklist:
    def __init__(self):
        self.failures = []

    def check(self, condition, message):
        print(("  ok    " if condition else "  FAIL  ") + message, flush=True)
        if not condition:
            self.failures.append(message)

    def finish(self, verdict):
        if self.failures:
            print(f"\n{len(self.failures)} check(s) failed")
            sys.exit(1)
        print(f"\n{verdict}")
