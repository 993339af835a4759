#!/usr/bin/env python3
"""The independent yardsticks' room modes count exactly (Benchmarks/reference/, used by
Benchmarks/rooms_cost.py): the C client with `--rooms R --rooms-per-client K` against the C
limit server's rooms mode and against `parley serve`, small and short. The C client exits 3
when what it received differs from what was due by its own count of each room's members, so a
delivery to a non-member (too many) fails as surely as a lost one (too few).

  * limit-server.c --rooms: 60 clients in 12 rooms of 10 (2 rooms each), 12 publishers: every
    due delivery arrives, nothing more; and a room of all 60 (1 room), the baseline shape;
  * limit-server.c --uring --ring-entries 16 (each broadcast's sends as io_uring submissions of
    16, so one broadcast to 59 takes four, flushed mid-walk): the same two shapes, with and
    without --rooms (every client but the sender), count the same;
  * parley serve: the same 12 rooms of 10 over named rooms (`join`), and 60 clients in 60 rooms
    of 1 each (only the publisher itself is due: its own echo).

Run by `make test` (target reference-rooms-test) after the release build.
"""

from parleybench.checklist import Checklist
from parleybench.orchestra import free_port, limit_server, parley_server, probe_client

CHECKS = Checklist()
check = CHECKS.check


def exact(name, port, clients, rooms, per_client, publishers, server):
    figures = probe_client(name, port, clients, publishers, 5, 1.5, server=server, rooms=rooms, rooms_per_client=per_client)
    due_per_message = clients * per_client // rooms
    check(figures["expected"] == figures["sent"] * due_per_message and figures["received"] == figures["expected"] > 0,
          f"{name}: {clients} clients in {rooms} room(s), {per_client} each: received {figures['received']} of "
          f"{figures['expected']} due ({figures['sent']} messages x {due_per_message} members)")


def everyone_else(name, port, clients, publishers, server):
    """Without rooms: each message is due at every client but its sender."""
    figures = probe_client(name, port, clients, publishers, 5, 1.5, server=server)
    check(figures["expected"] == figures["sent"] * (clients - 1) and figures["received"] == figures["expected"] > 0,
          f"{name}: {clients} clients, no rooms: received {figures['received']} of {figures['expected']} due "
          f"({figures['sent']} messages x {clients - 1} others)")


def main():
    port = free_port()
    with limit_server(port, rooms=True) as server:
        exact("c-limit", port, 60, 12, 2, 12, server)
        exact("c-limit", port, 60, 1, 1, 6, server)
    port = free_port()
    with limit_server(port, uring=True, ring_entries=16) as server:
        everyone_else("c-limit-uring", port, 60, 6, server)
    port = free_port()
    with limit_server(port, rooms=True, uring=True, ring_entries=16) as server:
        exact("c-limit-uring", port, 60, 12, 2, 12, server)
        exact("c-limit-uring", port, 60, 1, 1, 6, server)
    port = free_port()
    with parley_server(port) as server:
        exact("parley", port, 60, 12, 2, 12, server)
        exact("parley", port, 60, 60, 1, 60, server)
    CHECKS.finish("reference room modes: every due delivery, and only those")


if __name__ == "__main__":
    main()
