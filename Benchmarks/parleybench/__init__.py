"""The Python side of Parley's benchmarks and test scripts, as one small library:

- orchestra: paths, free ports, pinning to a core, a server process started, waited for and
  stopped, its CPU and memory; the C reference server and client built and run.
- postgres: the one throwaway PostgreSQL launcher (loopback, or a lab host).
- nodes: `parley serve` nodes and a cluster of them on loopback addresses.
- lab, lab_cluster: the scaling lab's simulated hosts, and a cluster on them.
- load_runs: one parley-load run against a server, and its figures.
- peer_servers, comparison_report: the comparison's peers and its report.
- checklist: ok/FAIL lines for the test scripts under Tests/.

Entry points (Benchmarks/*.py, Tests/*/*.py) import from here and never from each other. Those in
Benchmarks/ find it beside them; the Makefile puts Benchmarks/ on PYTHONPATH for those in Tests/
(by hand: `PYTHONPATH=Benchmarks python3 Tests/Gating/gating.py`)."""
