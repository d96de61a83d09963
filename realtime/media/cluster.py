"""The media servers this process knows (``JANUS_URL``, one or several), their health, and
which one a room goes to.

Each event loop (one per process in production) has its own ``Cluster`` with one connection
per server. A room is placed by rendezvous hashing of its key over the servers that are up,
so every process picks the same server for the same room and rooms spread evenly; the pick
is then fixed in the room meta (compare-and-set), so a room's feeds are always on one server.

When a server's connection drops, the cluster tells every affected peer (their sessions tell
their browsers and move the room, see ``realtime.media.rooms``) and keeps trying to reconnect
(backoff up to ``RECONNECT_MAX_SECONDS``); a server that comes back is offered to the rooms
that were waiting for one.
"""

import asyncio
import contextlib
import hashlib
import logging
import weakref
from collections.abc import Awaitable, Callable

from django.conf import settings

from realtime.media.base import MediaServer, MediaServerLost
from realtime.media.janus import JanusServer

logger = logging.getLogger(__name__)

RECONNECT_MAX_SECONDS = 5.0


def configured() -> bool:
    return bool(settings.JANUS_URLS)


class Cluster:
    def __init__(self, urls: list[str]):
        self.urls = list(urls)
        self.servers: dict[str, MediaServer] = {}
        for url in urls:
            server = JanusServer(
                url, secret=settings.JANUS_API_SECRET, timeout=settings.JANUS_REQUEST_TIMEOUT_SECONDS,
                bitrate=settings.SFU_PUBLISHER_BITRATE, on_lost=self._lost,
            )
            self.servers[server.sid] = server
        self._restored: list[Callable[[MediaServer], Awaitable[None]]] = []
        self._reconnecting: dict[str, asyncio.Task] = {}
        self._tasks: set[asyncio.Task] = set()

    def get(self, sid: str | None) -> MediaServer | None:
        return self.servers.get(sid) if sid else None

    async def up(self, server: MediaServer) -> bool:
        if server.up:
            return True
        if server.sid in self._reconnecting:
            return False
        try:
            await server.connect()
            return True
        except MediaServerLost:
            self._watch(server)
            return False

    async def pick(self, key: str, *, exclude: set[str] = frozenset()) -> MediaServer | None:
        """The server for room ``key``: highest rendezvous score among the servers that are up."""
        ranked = sorted(
            (s for s in self.servers.values() if s.sid not in exclude),
            key=lambda s: hashlib.sha256(f"{s.sid}|{key}".encode()).digest(), reverse=True,
        )
        for server in ranked:
            if await self.up(server):
                return server
        return None

    def on_restored(self, callback: Callable[[MediaServer], Awaitable[None]]) -> None:
        if callback not in self._restored:
            self._restored.append(callback)

    # --- losing and regaining a server -------------------------------------------------------------
    def _lost(self, server: MediaServer, peers) -> None:
        for peer in peers:
            self._spawn(peer.events.state("server", "lost"))
        self._watch(server)

    def _watch(self, server: MediaServer) -> None:
        if server.sid not in self._reconnecting:
            self._reconnecting[server.sid] = self._spawn(self._reconnect(server))

    async def _reconnect(self, server: MediaServer) -> None:
        delay = 0.25
        try:
            while True:
                await asyncio.sleep(delay)
                try:
                    await server.connect()
                    break
                except MediaServerLost:
                    delay = min(RECONNECT_MAX_SECONDS, delay * 2)
        finally:
            self._reconnecting.pop(server.sid, None)
        logger.warning("media server %s is back", server.sid)
        for callback in list(self._restored):
            try:
                await callback(server)
            except Exception:
                logger.exception("media server %s: a restore callback failed", server.sid)

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for server in self.servers.values():
            with contextlib.suppress(Exception):
                await server.close()


_clusters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_cluster() -> Cluster | None:
    """This event loop's cluster, or ``None`` when no media server is configured."""
    if not configured():
        return None
    loop = asyncio.get_running_loop()
    cluster = _clusters.get(loop)
    if cluster is None or cluster.urls != settings.JANUS_URLS:
        cluster = _clusters[loop] = Cluster(settings.JANUS_URLS)
    return cluster
