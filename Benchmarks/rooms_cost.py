#!/usr/bin/env python3
"""What many rooms cost against one, measured by the independent C client (probe-client.c), for
`parley serve` and for the C limit server's rooms mode (limit-server.c --rooms) in the same run.

At the same total deliveries per second: one room of 1,000 clients (10 publishers); 1,000 rooms
of 10 members over 10,000 clients (one room each); and 1,000 rooms of 10 over the same 1,000
clients, each in 10 rooms. One publisher per room. The server runs pinned to core 0 (Parley with
one event loop), the C client on core 1; the server's CPU is read over the client's timed window.
Rounds alternate the workloads' order.

A message's own cost (wake up, read the frame, find its room, number it, encode the event) is
paid once per message; a delivery's (frame it into a recipient's buffer, write) once per
recipient. A room of 10 spreads each message's cost over 10 deliveries instead of 1,000, so the
first two workloads give two equations: CPU/s = messages/s x m + deliveries/s x d, solved for m
and d. The C server's figures say how much of a ratio is the kernel's (a wakeup and a read per
message, a socket per recipient) and how much is Parley's.

    rooms_cost.py                                   the three workloads at 50,000 deliveries/s, both servers
    rooms_cost.py --workloads 1000:1000,1000:10:10 --deliveries 100000 --servers parley --rounds 5
"""

import argparse
import json
import sys

from parleybench.orchestra import free_port, limit_server, median, parley_server, probe_client


SERVERS = ("parley", "c-limit")


def workload(clients, size, per_client, deliveries_per_second):
    """(rooms, publishers, rate per publisher) for rooms of `size` at the given deliveries/s."""
    rooms = clients * per_client // size
    publishers = 10 if rooms == 1 else rooms
    return rooms, publishers, deliveries_per_second / size / publishers


def parse_workloads(text):
    sizes = []
    for item in text.split(","):
        try:
            parts = [int(part) for part in item.split(":")]
        except ValueError:
            sys.exit(f"--workloads takes CLIENTS:ROOM_SIZE[:ROOMS_PER_CLIENT] items, got {item!r}")
        if len(parts) not in (2, 3):
            sys.exit(f"--workloads takes CLIENTS:ROOM_SIZE[:ROOMS_PER_CLIENT] items, got {item!r}")
        clients, size, per_client = parts[0], parts[1], parts[2] if len(parts) == 3 else 1
        if size <= 0 or per_client <= 0 or (clients * per_client) % size or size > clients:
            sys.exit(f"--workloads {item}: {clients} clients in {per_client} room(s) each are not a whole number of rooms of {size}")
        rooms = clients * per_client // size
        if rooms > clients or (rooms > 1 and per_client > rooms):
            sys.exit(f"--workloads {item}: {rooms} rooms need a publisher each, and there are {clients} clients")
        sizes.append((clients, size, per_client))
    return sizes


def label(key):
    clients, size, per_client = key
    rooms = clients * per_client // size
    return f"{rooms} x {size}" + (f", {per_client}/client" if per_client > 1 else "") + f" ({clients} clients)"


def run_servers(args, sizes):
    results = {(name, key): [] for name in args.servers for key in sizes}
    for name in args.servers:
        port = free_port()
        # The C server in its rooms mode for every workload, one room too: one code path measured.
        server = parley_server(port, extra=("--event-loops", str(args.event_loops), *args.serve.split())) \
            if name == "parley" else limit_server(port, rooms=True)
        print(f"{name}:", flush=True)
        with server:
            for round_index in range(args.rounds):
                order = sizes if round_index % 2 == 0 else list(reversed(sizes))
                for key in order:
                    clients, size, per_client = key
                    rooms, publishers, rate = workload(clients, size, per_client, args.deliveries)
                    # Parley's one room is its default room, as a tutorial client has it.
                    probe_rooms = rooms if (rooms > 1 or name == "c-limit") else 0
                    figures = probe_client(name, port, clients, publishers, rate, args.seconds, server=server,
                                           rooms=probe_rooms, rooms_per_client=per_client)
                    figures["messagesPerSecond"] = figures["sent"] / args.seconds
                    figures["deliveriesPerSecond"] = figures["received"] / args.seconds
                    results[(name, key)].append(figures)
                    print(f"  {label(key):36s} {publishers:5d} publishers x {rate:g} msg/s  "
                          f"received {figures['received']}/{figures['expected']}  p50 {figures['p50'] / 1000:6.2f} ms  "
                          f"p99 {figures['p99'] / 1000:6.2f} ms  server CPU/delivery {figures['serverCpuMicrosPerDelivery']:.3f} µs",
                          flush=True)
    return results


def summarize(args, sizes, results):
    summary = {}
    for name in args.servers:
        print(f"\n{name}")
        print(f"{'workload':>36s}  {'msg/s':>7s}  {'deliveries/s':>12s}  {'p50 ms':>6s}  {'p99 ms':>6s}  "
              f"{'lost':>5s}  {'server µs/delivery':>18s}  {'ratio':>5s}")
        baseline = median([r["serverCpuMicrosPerDelivery"] for r in results[(name, sizes[0])]])
        for key in sizes:
            runs = results[(name, key)]
            per_delivery = median([r["serverCpuMicrosPerDelivery"] for r in runs])
            lost = sum(r["expected"] - r["received"] for r in runs)
            row = summary[(name, key)] = {
                "messagesPerSecond": median([r["messagesPerSecond"] for r in runs]),
                "deliveriesPerSecond": median([r["deliveriesPerSecond"] for r in runs]),
                "serverCpuSecondsPerSecond": median([r["serverCpuSeconds"] / args.seconds for r in runs]),
                "p50": median([r["p50"] for r in runs]), "p99": median([r["p99"] for r in runs]),
                "lost": lost, "perDelivery": per_delivery, "ratio": per_delivery / baseline,
            }
            print(f"{label(key):>36s}  {row['messagesPerSecond']:7.0f}  {row['deliveriesPerSecond']:12.0f}  "
                  f"{row['p50'] / 1000:6.2f}  {row['p99'] / 1000:6.2f}  {lost:5d}  {per_delivery:18.3f}  {row['ratio']:5.2f}")
        if len(sizes) >= 2:
            # CPU/s = msgs/s * m + deliveries/s * d, from the first two workloads.
            a, b = summary[(name, sizes[0])], summary[(name, sizes[1])]
            det = a["messagesPerSecond"] * b["deliveriesPerSecond"] - b["messagesPerSecond"] * a["deliveriesPerSecond"]
            if det:
                m = (a["serverCpuSecondsPerSecond"] * b["deliveriesPerSecond"]
                     - b["serverCpuSecondsPerSecond"] * a["deliveriesPerSecond"]) / det
                d = (a["messagesPerSecond"] * b["serverCpuSecondsPerSecond"]
                     - b["messagesPerSecond"] * a["serverCpuSecondsPerSecond"]) / det
                print(f"per message {m * 1e6:.2f} µs, per delivery {d * 1e6:.3f} µs (solved from the first two workloads)")
    if set(SERVERS) <= set(args.servers):
        print("\nParley against the C limit server, CPU per delivery")
        for key in sizes:
            ratio = summary[("parley", key)]["perDelivery"] / summary[("c-limit", key)]["perDelivery"]
            print(f"{label(key):>36s}  {ratio:5.2f}x")
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="1000:1000,10000:10,1000:10:10",
                        help="CLIENTS:ROOM_SIZE[:ROOMS_PER_CLIENT], comma-separated; the first is the baseline")
    parser.add_argument("--deliveries", type=float, default=50_000, help="deliveries per second in every workload")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--servers", default=",".join(SERVERS), help="parley, c-limit or both (comma-separated)")
    parser.add_argument("--event-loops", type=int, default=1)
    parser.add_argument("--serve", default="", help="more `parley serve` flags, e.g. \"--write-path direct\"")
    parser.add_argument("--out", help="write the raw figures here (json)")
    args = parser.parse_args()
    sizes = parse_workloads(args.workloads)
    args.servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in args.servers if name not in SERVERS]
    if unknown or not args.servers:
        sys.exit(f"--servers: unknown {', '.join(unknown) or '(none given)'} (known: {', '.join(SERVERS)})")
    results = run_servers(args, sizes)
    summary = summarize(args, sizes, results)
    if args.out:
        with open(args.out, "w") as out:
            json.dump({"args": vars(args),
                       "runs": {f"{name} {':'.join(map(str, key))}": v for (name, key), v in results.items()},
                       "summary": {f"{name} {':'.join(map(str, key))}": v for (name, key), v in summary.items()}}, out, indent=1)


if __name__ == "__main__":
    main()
