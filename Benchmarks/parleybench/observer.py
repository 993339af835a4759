"""An observer of the default room, independent of parley-load: a plain WebSocket client (the
`websockets` package, not Parley's code) that records every public message it hears with its
seq, sender, text and arrival time, and every error it is sent. One may also publish, so that
what was acknowledged (its own copy came back, with a seq) can be told from what was refused
(`unavailable`) or never answered. The cluster's failover and partition runs judge the cluster
by what their observers saw (parleybench/verdict.py), not by the harness they measure it with."""

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

    def first_heard_from_others(self):
        """When this observer first heard someone who is not an observer (parley-load's phases
        began), or None."""
        with self._lock:
            return next((arrival for _, sender, _, arrival in self.heard if sender and not sender.startswith("observer-")), None)

    def snapshot(self):
        with self._lock:
            return list(self.heard), list(self.errors), list(self.sent)

    def stop(self):
        if self._socket:
            self._socket.close()
        if self._reader:
            self._reader.join(timeout=5)


def end_observed_run(stopping, observers, load):
    """The end of an observed run, however it ends: the publishing stops (`stopping` set), the
    observers close, and parley-load is stopped if it still runs."""
    stopping.set()
    for observer in observers:
        observer.stop()
    if load and load.poll() is None:
        stop(load, timeout=10)
