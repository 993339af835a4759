"""An observer of the default room, independent of parley-load: a plain WebSocket client (the
`websockets` package, not Parley's code) that records every public message it hears with its
seq, sender, text and arrival time, and every error it is sent. One may also publish, so that
what was acknowledged (its own copy came back, with a seq) can be told from what was refused
(`unavailable`) or never answered. The cluster's failover and partition runs judge the cluster
by what their observers saw, not by the harness they measure it with."""

import json
import threading
import time

from websockets.sync.client import connect


class Observer:
    def __init__(self, name, url):
        self.name = name
        self.url = url
        self.heard = []  # (seq, from, text, monotonic arrival)
        self.errors = []  # (code, message, monotonic arrival)
        self.resume_failures = []
        self.sent = []  # (text, monotonic send time)
        self.closed = None
        self._socket = None
        self._reader = None
        self._lock = threading.Lock()

    def start(self):
        self._socket = connect(f"{self.url}?members=none", open_timeout=10, max_size=2**20)
        self._socket.send(json.dumps({"action": "setName", "name": self.name}))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

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
