"""A webinar viewer for the benchmark: aiortc behind Parley's room socket, subscribing to
every feed through the ``sfu-*`` signalling, decoding every frame it gets and counting them."""

import asyncio
import json
import time

import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp


class Subscriber:
    def __init__(self, url: str):
        self.url = url
        self.pc = RTCPeerConnection()
        self.ws = None
        self.tasks: list[asyncio.Task] = []
        self.first_frame = asyncio.Event()
        self.frames = 0
        self.stamps: list[float] = []  # decode times of video frames in the window
        self.counting = False
        self.bytes0 = 0
        self.frames0 = 0
        self.pc.on("track", self._track)

    async def start(self) -> None:
        self.ws = await websockets.connect(self.url, max_size=2**22)
        self.tasks.append(asyncio.create_task(self._signalling()))

    async def _signalling(self) -> None:
        subscribed = set()
        async for raw in self.ws:
            frame = json.loads(raw)
            kind = frame["type"]
            feeds = []
            if kind == "room_state":
                feeds = [p["feed"] for p in frame["participants"] if isinstance(p.get("feed"), int)]
            elif kind == "sfu-feed" and isinstance(frame.get("feed"), int):
                feeds = [frame["feed"]]
            elif kind == "sfu-offer" and frame.get("jsep"):
                await self.pc.setRemoteDescription(RTCSessionDescription(**frame["jsep"]))
                await self.pc.setLocalDescription(await self.pc.createAnswer())
                answer = {"type": "answer", "sdp": self.pc.localDescription.sdp}
                await self.ws.send(json.dumps({"type": "sfu-answer", "jsep": answer}))
            elif kind == "sfu-candidate" and frame.get("candidate") and frame.get("target") == "subscriber":
                c = frame["candidate"]
                candidate = candidate_from_sdp(c["candidate"].split(":", 1)[1])
                candidate.sdpMid, candidate.sdpMLineIndex = c.get("sdpMid"), c.get("sdpMLineIndex")
                await self.pc.addIceCandidate(candidate)
            new = [f for f in feeds if f not in subscribed]
            if new:
                subscribed.update(new)
                await self.ws.send(json.dumps({"type": "sfu-subscribe", "feeds": new}))

    def _track(self, track) -> None:
        self.tasks.append(asyncio.create_task(self._consume(track)))

    async def _consume(self, track) -> None:
        while True:
            try:
                await track.recv()
            except Exception:
                return
            if track.kind != "video":
                continue
            self.frames += 1
            self.first_frame.set()
            if self.counting:
                self.stamps.append(time.monotonic())

    async def _received_bytes(self) -> int:
        stats = await self.pc.getStats()
        # aiortc reports bytes per transport only: audio + video + RTCP of this subscription.
        return sum(s.bytesReceived for s in stats.values() if s.type == "transport")

    def window_start(self) -> None:
        self.counting, self.stamps, self.frames0 = True, [], self.frames
        self.t0 = time.monotonic()
        self.tasks.append(asyncio.create_task(self._mark_bytes()))

    async def _mark_bytes(self) -> None:
        self.bytes0 = await self._received_bytes()

    async def window_end(self, elapsed: float) -> dict:
        self.counting = False
        received = await self._received_bytes() - self.bytes0
        frames = self.frames - self.frames0
        # Frozen: any whole second of the window in which not one frame was decoded.
        seconds = int(elapsed)
        buckets = {int(t - self.t0) for t in self.stamps}
        frozen = any(second not in buckets for second in range(seconds))
        return {"kbps": received * 8 / elapsed / 1000, "fps": frames / elapsed, "frames": frames,
                "frozen": frozen}

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.pc.close()
        if self.ws is not None:
            await self.ws.close()
