"""The servers a user would pick instead of Parley, as comparison peers (Benchmarks/peers/):
Go's gorilla/websocket in the shape of its chat example, Node's `ws` with its README's broadcast
loop, and Python's `websockets` with `broadcast()`. Each is a raw relay: every text message goes
to every other connection. Toolchains come from Debian (`make peers`) and PyPI (a venv under
.build/); nothing is fetched at run time."""

import os
import shutil
import subprocess
import sys

from parleybench.orchestra import BUILD, ROOT, Server, stale

PEERS = os.path.join(ROOT, "Benchmarks", "peers")
VENV = os.path.join(BUILD, "peer-venv")
GOPATH = "/usr/share/gocode"  # Debian's golang-github-gorilla-websocket-dev installs here
NODE_WS = "/usr/share/nodejs/ws"  # Debian's node-ws


def missing_toolchains(servers=("go-gorilla", "node-ws")):
    """What `make peers` would install for `servers`, as a sentence; None when it is all here."""
    lacking = []
    if "go-gorilla" in servers and (
            not shutil.which("go") or not os.path.isdir(os.path.join(GOPATH, "src", "github.com", "gorilla", "websocket"))):
        lacking.append("Go with gorilla/websocket (golang-go, golang-github-gorilla-websocket-dev)")
    if "node-ws" in servers and (not shutil.which("node") or not os.path.exists(os.path.join(NODE_WS, "package.json"))):
        lacking.append("Node's ws (node-ws)")
    return "; ".join(lacking) or None


def build_go_peer():
    """Compiles peers/gorilla_hub.go offline (GOPATH mode) into .build/gorilla-hub when newer."""
    source, binary = os.path.join(PEERS, "gorilla_hub.go"), os.path.join(BUILD, "gorilla-hub")
    if stale(binary, source):
        environment = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH, GOCACHE=os.path.join(BUILD, "go-cache"))
        subprocess.run(["go", "build", "-o", binary, source], check=True, env=environment)
    return binary


def build_python_venv():
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    if subprocess.run([python, "-c", "import websockets"], capture_output=True).returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", "websockets>=13"], check=True)
    return python


def go_peer(port):
    return Server("go-gorilla", [build_go_peer(), "--port", str(port)], port, f"ws://127.0.0.1:{port}/")


def node_peer(port):
    return Server("node-ws", ["node", os.path.join(PEERS, "ws_broadcast.js"), "--port", str(port)], port,
                  f"ws://127.0.0.1:{port}/")


def python_peer(port):
    return Server("python", [build_python_venv(), os.path.join(PEERS, "broadcast_peer.py"), "--port", str(port)], port,
                  f"ws://127.0.0.1:{port}/")
