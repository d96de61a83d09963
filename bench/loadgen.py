"""Load generator: N websocket clients in one room, D of them drawing at R strokes/s
(``--kind chat``: D of them chatting at R chats/s).

Speaks three dialects over aiohttp's websocket client (C frame parser):
``parley`` (the room socket's ``sendDrawingData``), ``raw`` (the same JSON, relayed as
is), ``socketio`` (Engine.IO v4 / Socket.IO v5 text packets, ``draw`` events) and
``parley-sio`` (Parley's room socket over Socket.IO: ``sendDrawingData`` events).

Each stroke carries its send time; receivers record latency and count deliveries in the
measurement window. Prints one JSON line of results.

Chat (``--kind chat``): ``chat-box`` frames (Parley: with a ``clientId``, so each is acknowledged
once stored), ``chat`` events for Socket.IO. Senders stop, then everyone waits ``--grace``
seconds: ``lost`` is the share of (chats sent × other clients) never delivered by then, over
the whole run; ``acked`` counts Parley's ``chat-ack`` frames and ``slow_down`` its warnings.
"""

import argparse
import asyncio
import json
import time

import aiohttp


def stroke(i: int, n: int) -> dict:
    return {"drawingType": "mousemove", "payload": {"pos": {"x": n % 800, "y": n % 600}, "brushSize": 3,
                                                     "inkColor": "#000000", "i": i, "ts": time.time()}}


def extract_ts(text: str, marker: str = '"ts":') -> float | None:
    at = text.find(marker)
    if at < 0:
        return None
    end = at + len(marker)
    while end < len(text) and text[end] in "0123456789.e-+ ":
        end += 1
    return float(text[at + len(marker):end])


def chat_text(dialect: str, i: int, n: int) -> str:
    msg = f"chat {i}/{n} ts={time.time()!r};"
    if dialect == "socketio":
        return "42" + json.dumps(["chat", {"msg": msg}])
    if dialect == "parley-sio":
        return "42" + json.dumps(["chat-box", {"msg": msg, "clientId": f"{i}-{n}"}])
    return json.dumps({"type": "chat-box", "msg": msg, "clientId": f"{i}-{n}"})


class Stats:
    def __init__(self):
        self.measuring = False
        self.received = 0
        self.latencies: list[float] = []
        self.sent = 0
        self.sent_total = 0
        self.received_total = 0
        self.acked = 0
        self.slow_down = 0


async def client(session, args, url: str, index: int, stats: Stats, ready: asyncio.Event,
                 stop: asyncio.Event):
    async with session.ws_connect(url, max_msg_size=2**20, autoping=True, compress=0) as ws:
        if args.dialect == "parley":
            await ws.receive()  # room_state
        elif args.dialect in SOCKETIO:
            await ws.receive()  # Engine.IO open
            await ws.send_str("40")
            while not (await ws.receive()).data.startswith("40"):
                pass
            if args.dialect == "parley-sio":
                while "room_state" not in (await ws.receive()).data:
                    pass
        ready.set()
        drawer = index < args.drawers

        async def draw():
            await start.wait()
            interval = 1 / args.rate
            next_at = time.perf_counter()
            n = 0
            while not stop.is_set() and not sending_done.is_set():
                body = stroke(index, n)
                if args.kind == "chat":
                    text = chat_text(args.dialect, index, n)
                elif args.dialect == "parley":
                    text = json.dumps({"type": "sendDrawingData", "msg": body})
                elif args.dialect == "raw":
                    text = json.dumps({"type": "sendDrawingData", "msg": body})
                elif args.dialect == "parley-sio":
                    text = "42" + json.dumps(["sendDrawingData", {"msg": body}])
                else:
                    text = "42" + json.dumps(["draw", body])
                await ws.send_str(text)
                stats.sent_total += 1
                if stats.measuring:
                    stats.sent += 1
                n += 1
                next_at += interval
                delay = next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    await asyncio.sleep(0)

        task = asyncio.create_task(draw()) if drawer else None
        stop_task = asyncio.create_task(stop.wait())
        stop_task.add_done_callback(lambda _: asyncio.ensure_future(ws.close()))
        text_type = aiohttp.WSMsgType.TEXT
        seen = 0
        marker = "ts=" if args.kind == "chat" else '"ts":'
        async for msg in ws:
            if msg.type is not text_type:
                continue
            data = msg.data
            if args.kind == "chat":
                if marker in data:
                    stats.received_total += 1
                elif '"chat-ack"' in data:
                    stats.acked += 1
                    continue
                elif '"slow_down"' in data:
                    stats.slow_down += 1
                    continue
            if stats.measuring:
                if args.dialect in SOCKETIO and data == "2":
                    await ws.send_str("3")
                    continue
                if marker not in data:  # presence and other frames are not deliveries of a stroke
                    continue
                stats.received += 1
                seen += 1
                if seen & 7 == 0 or args.kind == "chat":  # every 8th stroke keeps the generator light
                    stats.latencies.append(time.time() - extract_ts(data, marker))
            elif args.dialect in SOCKETIO and data == "2":
                await ws.send_str("3")
        if task:
            task.cancel()


start = asyncio.Event()
sending_done = asyncio.Event()
SOCKETIO = ("socketio", "parley-sio")


async def main(args):
    stats = Stats()
    stop = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = []
        for i in range(args.clients):
            url = args.url_template.replace("{i}", str(i))
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(client(session, args, url, i, stats, ready, stop)))
            await asyncio.wait_for(ready.wait(), 20)
        start.set()
        await asyncio.sleep(args.warmup)
        stats.measuring = True
        t0 = time.perf_counter()
        await asyncio.sleep(args.duration)
        stats.measuring = False
        elapsed = time.perf_counter() - t0
        sending_done.set()
        await asyncio.sleep(args.grace)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    lat = sorted(stats.latencies)

    def pct(p):
        return round(lat[min(len(lat) - 1, int(len(lat) * p))] * 1000, 1) if lat else None

    expected = args.drawers * args.rate * (args.clients - 1)
    print(json.dumps({
        "dialect": args.dialect, "clients": args.clients, "drawers": args.drawers, "rate": args.rate,
        "expected_per_s": expected, "delivered_per_s": round(stats.received / elapsed),
        "sent_per_s": round(stats.sent / elapsed), "p50_ms": pct(0.5), "p99_ms": pct(0.99),
        "max_ms": pct(1.0), "kind": args.kind,
        **({"sent_total": stats.sent_total, "lost": round(
            1 - stats.received_total / max(1, stats.sent_total * (args.clients - 1)), 4),
            "acked": stats.acked, "slow_down": stats.slow_down} if args.kind == "chat" else {}),
    }))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("dialect", choices=["parley", "raw", "socketio", "parley-sio"])
    parser.add_argument("url_template", help="websocket URL; {i} is replaced by the client's index")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--drawers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--kind", choices=["stroke", "chat"], default="stroke")
    parser.add_argument("--grace", type=float, default=2, help="seconds after the last send before closing")
    asyncio.run(main(parser.parse_args()))
