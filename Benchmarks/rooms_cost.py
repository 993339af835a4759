#!/usr/bin/env python3
"""What many rooms cost against one, measured by the independent C client (probe-client.c).

At the same total deliveries per second, one room of 1,000 clients (10 publishers) against
1,000 rooms of 10 members (10,000 clients, one publisher per room), each workload at the rate
that gives those deliveries/s. `parley serve` runs pinned to core 0 with one event loop, the C client on core 1;
the server's CPU is read over the client's timed window. Rounds alternate the two workloads.

A message's own cost (decode the frame, find its room, number it, encode the event) is paid once
per message; a delivery's (frame it into a recipient's buffer, write) once per recipient. A room
of 10 spreads each message's cost over 10 deliveries instead of 1,000, so the two workloads give
two equations: CPU/s = messages/s x m + deliveries/s x d, solved for m and d.

    rooms_cost.py                                   1 room of 1,000 vs 1,000 rooms of 10, 100,000 deliveries/s
    rooms_cost.py --workloads 1000:1000,1000:100,10000:10 --rounds 3 --seconds 8
"""

import argparse
import json
import sys

from parleybench.orchestra import free_port, median, parley_server, probe_client


def workload(clients, size, deliveries_per_second):
    """(rooms, publishers, rate per publisher) for rooms of `size` at the given deliveries/s."""
    rooms = clients // size
    if rooms == 1:
        publishers = 10
        return 0, publishers, deliveries_per_second / clients / publishers
    return rooms, rooms, deliveries_per_second / clients


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="1000:1000,10000:10",
                        help="CLIENTS:ROOM_SIZE, comma-separated; the first is the baseline")
    parser.add_argument("--deliveries", type=float, default=100_000, help="deliveries per second in every workload")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--event-loops", type=int, default=1)
    parser.add_argument("--serve", default="", help="more `parley serve` flags, e.g. \"--write-path direct\"")
    parser.add_argument("--out", help="write the raw figures here (json)")
    args = parser.parse_args()
    try:
        sizes = [tuple(int(part) for part in item.split(":")) for item in args.workloads.split(",")]
    except ValueError:
        sys.exit(f"--workloads takes CLIENTS:ROOM_SIZE pairs, got {args.workloads!r}")
    for clients, size in sizes:
        if size <= 0 or clients % size:
            sys.exit(f"--workloads: {clients} clients are not a whole number of rooms of {size}")

    port = free_port()
    results = {size: [] for size in sizes}
    server = parley_server(port, extra=("--event-loops", str(args.event_loops), *args.serve.split()))
    with server:
        for round_index in range(args.rounds):
            order = sizes if round_index % 2 == 0 else list(reversed(sizes))
            for clients, size in order:
                rooms, publishers, rate = workload(clients, size, args.deliveries)
                figures = probe_client("parley", port, clients, publishers, rate, args.seconds, server=server, rooms=rooms)
                figures["messagesPerSecond"] = figures["sent"] / args.seconds
                figures["deliveriesPerSecond"] = figures["received"] / args.seconds
                results[(clients, size)].append(figures)
                print(f"  rooms of {size:5d}: {max(rooms, 1):5d} rooms x {publishers} publishers x {rate:g} msg/s  "
                      f"received {figures['received']}/{figures['expected']}  p50 {figures['p50'] / 1000:6.2f} ms  "
                      f"p99 {figures['p99'] / 1000:6.2f} ms  server CPU/delivery {figures['serverCpuMicrosPerDelivery']:.3f} µs",
                      flush=True)

    print()
    print(f"{'room size':>9s}  {'rooms':>5s}  {'msg/s':>7s}  {'deliveries/s':>12s}  {'p50 ms':>6s}  {'p99 ms':>6s}  "
          f"{'lost':>5s}  {'server µs/delivery':>18s}  {'ratio':>5s}")
    baseline = median([r["serverCpuMicrosPerDelivery"] for r in results[sizes[0]]])
    summary = {}
    for key in sizes:
        clients, size = key
        runs = results[key]
        per_delivery = median([r["serverCpuMicrosPerDelivery"] for r in runs])
        lost = sum(r["expected"] - r["received"] for r in runs)
        summary[key] = {
            "messagesPerSecond": median([r["messagesPerSecond"] for r in runs]),
            "deliveriesPerSecond": median([r["deliveriesPerSecond"] for r in runs]),
            "serverCpuSecondsPerSecond": median([r["serverCpuSeconds"] / args.seconds for r in runs]),
            "perDelivery": per_delivery,
        }
        print(f"{size:9d}  {clients // size:5d}  {summary[key]['messagesPerSecond']:7.0f}  "
              f"{summary[key]['deliveriesPerSecond']:12.0f}  {median([r['p50'] for r in runs]) / 1000:6.2f}  "
              f"{median([r['p99'] for r in runs]) / 1000:6.2f}  {lost:5d}  {per_delivery:18.3f}  {per_delivery / baseline:5.2f}")
    if len(sizes) >= 2:
        # CPU/s = msgs/s * m + deliveries/s * d, from the first two workloads.
        a, b = summary[sizes[0]], summary[sizes[1]]
        det = a["messagesPerSecond"] * b["deliveriesPerSecond"] - b["messagesPerSecond"] * a["deliveriesPerSecond"]
        if det:
            m = (a["serverCpuSecondsPerSecond"] * b["deliveriesPerSecond"] - b["serverCpuSecondsPerSecond"] * a["deliveriesPerSecond"]) / det
            d = (a["messagesPerSecond"] * b["serverCpuSecondsPerSecond"] - b["messagesPerSecond"] * a["serverCpuSecondsPerSecond"]) / det
            print(f"\nper message {m * 1e6:.2f} µs, per delivery {d * 1e6:.3f} µs (solved from the first two workloads)")
    if args.out:
        with open(args.out, "w") as out:
            json.dump({"args": vars(args), "runs": {f"{c}:{s}": v for (c, s), v in results.items()},
                       "summary": {f"{c}:{s}": v for (c, s), v in summary.items()}}, out, indent=1)


if __name__ == "__main__":
    main()
