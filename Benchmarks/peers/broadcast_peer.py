"""A WebSocket broadcast relay in Python, the comparison peer for `make compare-servers`.

Every text message from a client goes to every *other* open connection, through the
`websockets` library's optimized `broadcast()` (it writes the same frame to each
connection without awaiting). Stops on SIGINT/SIGTERM. Loopback only.
"""

import argparse
import asyncio
import signal

from websockets.asyncio.server import broadcast, serve

CONNECTIONS = set()


async def relay(websocket):
    CONNECTIONS.add(websocket)
    try:
        async for message in websocket:
            broadcast((c for c in CONNECTIONS if c is not websocket), message)
    finally:
        CONNECTIONS.discard(websocket)


async def main(port):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(relay, "127.0.0.1", port, max_size=1 << 20, ping_interval=None, compression=None):
        print(f"python peer listening on ws://127.0.0.1:{port}", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=9002)
    asyncio.run(main(parser.parse_args().port))
