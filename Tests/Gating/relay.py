#!/usr/bin/env python3
"""A TCP relay that holds every chunk from the server for a fixed delay before passing it to the
client: a server made slower by a known amount, for the gating test (Tests/Gating/gating.py).
Client-to-server bytes pass at once. Order is kept (each chunk's deadline is later than the last).

    relay.py --listen PORT --to PORT --delay-ms MS
"""

import argparse
import asyncio


async def pipe(reader, writer, delay):
    loop = asyncio.get_running_loop()
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if delay > 0:
                loop.call_later(delay, writer.write, data)
            else:
                writer.write(data)
    except (ConnectionError, OSError):
        pass
    finally:
        if delay > 0:
            await asyncio.sleep(delay)
        writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--to", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=0)
    args = parser.parse_args()
    delay = args.delay_ms / 1000

    async def accepted(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", args.to)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer, 0), pipe(server_reader, client_writer, delay))

    server = await asyncio.start_server(accepted, "127.0.0.1", args.listen, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
