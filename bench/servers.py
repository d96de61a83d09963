"""The two baselines the fan-out benchmark compares Parley against.

- ``raw``: a plain ``websockets`` broadcast server — every text frame a client sends is
  written to every other client of the room, untouched (no parsing, no stamping).
- ``socketio``: python-socketio on aiohttp — ``draw`` events are re-emitted to the room,
  skipping the sender (what a Socket.IO meeting backend does).

Run one: ``python bench/servers.py raw 8765`` / ``python bench/servers.py socketio 8766``.
"""

import asyncio
import sys


async def raw_server(port: int) -> None:
    import websockets

    clients: set = set()

    async def handler(ws):
        clients.add(ws)
        try:
            async for message in ws:
                websockets.broadcast([c for c in clients if c is not ws], message)
        finally:
            clients.discard(ws)

    async with websockets.serve(handler, "127.0.0.1", port, max_size=2**20, compression=None):
        await asyncio.Future()


def socketio_server(port: int) -> None:
    import socketio
    from aiohttp import web

    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)

    @sio.event
    async def connect(sid, environ):
        await sio.enter_room(sid, "bench")

    @sio.on("draw")
    async def draw(sid, data):
        await sio.emit("draw", data, room="bench", skip_sid=sid)

    @sio.on("chat")
    async def chat(sid, data):  # relayed, not stored: the baseline does no database work
        await sio.emit("chat", data, room="bench", skip_sid=sid)

    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "raw":
        asyncio.run(raw_server(port))
    elif kind == "socketio":
        socketio_server(port)
    else:
        raise SystemExit(f"unknown server {kind!r}")
