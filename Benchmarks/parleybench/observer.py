"""An observer of the default room, independent of parley-load: a plain WebSocket client (the
`websockets` package, not Parley's code) that records every public message it hears with its
seq, sender, text and arrival time, and every error it is sent. One may also publish, so that
what was acknowledged (its own copy came back, with a seq) can be told from what was refused
(`unavailable`) or never answered. The cluster's failover and partition runs judge the cluster
by what their observers saw, not by the harness they measure it with."""

import ctypes
import json
import os
import threading
import time

from websockets.sync.client import connect

from parleybench.orchestra import stop

CLONE_NEWNET = 0x40000000


class Observer:
    """`feed`: the presence feed it asks for (`none`, or `full` to keep the last member list);
    `netns`: a network namespace (the lab's hosts) to connect from: the connecting thread joins
    it (setns is per thread), and the socket stays there."""

    def __init__(self, name, url, feed="none", netns=None):
        self.name = name
        self.url = url
        self.feed = feed
        self.netns = netns
        self.members = None  # the last `members` list (full feed)
        self.heard = []  # (seq, from, text, monotonic arrival)
        self.errors = []  # (code, message, monotonic arrival)
        self.resume_failures = []
        self.sent = []  # (text, monotonic send time)
        self.closed = None
        self._socket = None
        self._reader = None
        self._lock = threading.Lock()

    def start(self):
        if self.netns:
            failure = []
            joiner = threading.Thread(target=self._connect_in_namespace, args=(failure,))
            joiner.start()
            joiner.join()
            if failure:
                raise failure[0]
        else:
            self._connect()
        self._socket.send(json.dumps({"action": "setName", "name": self.name}))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _connect(self):
        self._socket = connect(f"{self.url}?members={self.feed}", open_timeout=10, max_size=2**22)

    def _connect_in_namespace(self, failure):
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            descriptor = os.open(f"/run/netns/{self.netns}", os.O_RDONLY)
            try:
                if libc.setns(descriptor, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns into {self.netns}")
            finally:
                os.close(descriptor)
            self._connect()
        except Exception as error:
            failure.append(error)

    def _read(self):
        try:
            for raw in self._socket:
                event = json.loads(raw)
                now = time.monotonic()
                with self._lock:
                    if "publicMessage" in event and "room" not in event:
                        self.heard.append((event.get("seq"), event.get("from"), event.get("text"), now))
                    elif "error" in event:
                        error = event["error"]
                        self.errors.append((error.get("code"), error.get("message"), now))
                    elif "members" in event and isinstance(event["members"], list) and "room" not in event:
                        self.members = list(event["members"])
                    elif "resumeFailed" in event:
                        self.resume_failures.append(event["resumeFailed"])
        except Exception as error:  # the socket closed: recorded, judged by the caller
            self.closed = repr(error)

    def publish(self, text):
        with self._lock:
            self.sent.append((text, time.monotonic()))
        self._socket.send(json.dumps({"action": "sendPublic", "message": text}))

    def snapshot(self):
        with self._lock:
            return list(self.heard), list(self.errors), list(self.sent)

    def stop(self):
        if self._socket:
            self._socket.close()
        if self._reader:
            self._reader.join(timeout=5)


def judge(observers, publishers, cut_time, back_time):
    """What the observers saw, judged: for each publishing observer, what was acknowledged (its
    own copy came back), refused (`unavailable`) or never answered, and whether every other
    observer heard what it acknowledged; everywhere, whether a seq named two messages, and each
    observer's duplicates, gaps and reorderings; and when messages flowed again: the first
    message published after `cut_time`, at the last observer to hear it."""
    snapshots = {o.name: o.snapshot() for o in observers}
    heard_from = {o.name: {} for o in observers}  # observer -> publisher -> texts heard
    for o in observers:
        for _, sender, text, _ in snapshots[o.name][0]:
            heard_from[o.name].setdefault(sender, set()).add(text)
    published = acknowledged = refused = unanswered = 0
    acknowledged_lost, partial = [], []
    flow_at = None
    for publisher in publishers:
        heard, errors, sent = snapshots[publisher.name]
        own = {text for _, sender, text, _ in heard if sender == publisher.name}
        refusals = [e for e in errors if e[0] == "unavailable"]
        texts = [text for text, _ in sent]
        published += len(texts)
        acknowledged += len(own)
        refused += len(refusals)
        unanswered += len(texts) - len(own) - len(refusals)
        by_others = [heard_from[o.name].get(publisher.name, set()) for o in observers]
        acknowledged_lost += [t for t in own if any(t not in h for h in by_others)]
        partial += [t for t in texts if 0 < sum(t in h for h in by_others) < len(observers)]
        for text, when in sent:
            if when <= cut_time:
                continue
            arrivals = [next((a for _, s, t, a in snapshots[o.name][0] if s == publisher.name and t == text), None)
                        for o in observers]
            if all(a is not None for a in arrivals):
                flow_at = max(arrivals) if flow_at is None else min(flow_at, max(arrivals))
                break

    messages_by_seq = {}
    duplicates, gaps, out_of_order = {}, {}, {}
    for name, (heard, _, _) in snapshots.items():
        seqs = [seq for seq, _, _, _ in heard]
        for seq, sender, text, _ in heard:
            messages_by_seq.setdefault(seq, set()).add((sender, text))
        duplicates[name] = len(seqs) - len(set(seqs))
        gaps[name] = (max(seqs) - min(seqs) + 1 - len(set(seqs))) if seqs else 0
        out_of_order[name] = sum(1 for a, b in zip(seqs, seqs[1:]) if b <= a)
    seq_reused = sorted(seq for seq, messages in messages_by_seq.items() if len(messages) > 1)
    return {
        "published": published, "acknowledged": acknowledged, "refused": refused, "unanswered": unanswered,
        "acknowledgedLost": len(acknowledged_lost), "acknowledgedLostTexts": sorted(acknowledged_lost)[:10],
        "partial": len(partial), "partialTexts": sorted(partial)[:10],
        "seqReused": len(seq_reused), "seqReusedExamples": seq_reused[:10],
        "duplicates": duplicates, "gaps": gaps, "outOfOrder": out_of_order,
        "epochChanges": {o.name: o.resume_failures for o in observers if o.resume_failures},
        "closed": {o.name: o.closed for o in observers if o.closed},
        "heard": {name: len(s[0]) for name, s in snapshots.items()},
        "flowAfterKillSeconds": None if flow_at is None else flow_at - cut_time,
        "flowAfterPromoteSeconds": None if flow_at is None else flow_at - back_time,
    }


def end_observed_run(stopping, observers, load):
    """The end of an observed run, however it ends: the publishing stops (`stopping` set), the
    observers close, and parley-load is stopped if it still runs."""
    stopping.set()
    for observer in observers:
        observer.stop()
    if load and load.poll() is None:
        stop(load, timeout=10)
