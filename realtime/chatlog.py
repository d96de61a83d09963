"""Group commit for chat and transcript lines: stored in batches, relayed in storage order,
acknowledged once stored, and the sender slowed (never dropped) when the store falls behind.

One ``ChatLog`` per event loop (one per process in production). A socket's ``chat-box`` or
``transcript`` frame, once checked and stamped by ``realtime.dispatch``, is queued here; one
writer task takes whatever has accumulated (up to ``CHAT_BATCH_MAX`` lines), stores it in **one
transaction on one connection** in a thread of its own (``bulk_create``; a meeting lookup per
batch, not per line), then relays the lines in the order they were inserted (so ``messageId``
grows along the relay), then acknowledges each to its sender (``chat-ack`` /
``transcript-ack``, only to a sender that gave a ``clientId``: seed clients see no new frame).

Backpressure: each socket may have ``CHAT_WINDOW`` lines queued and not yet stored. A socket
past its window is not read any further until the store catches up — the frame is held, not
refused — and it is told once a second with an ``error`` frame of code ``slow_down``
(``held: true``). A sender that keeps ``CHAT_WINDOW`` unacknowledged chats at most never sees it.
The process-wide queue is bounded too (``CHAT_QUEUE_MAX``). When a batch cannot be stored, each
of its senders gets ``error`` ``not_stored`` (with its ``clientId``) and nothing of it is
relayed: a line is either stored, relayed and acknowledged, or its sender is told.
"""

import asyncio
import logging
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from meetings.models import ChatMessage, Meeting, TranscriptEntry
from portal.tenancy import new_object_id
from realtime.frames import encode, error
from realtime.store import STORE_ERRORS

logger = logging.getLogger(__name__)

CHAT = "chat"
TRANSCRIPT = "transcript"

SLOW_DOWN = ("Chats arrive faster than they can be stored: this one is held until the earlier "
             "ones are (nothing is dropped). Wait for the acks before sending more.")
NOT_STORED = "This line could not be stored and was not delivered. Send it again."
NOT_RELAYED = "Stored, but the room's shared state is out of reach: it was not relayed to other processes."


@dataclass(slots=True)
class Line:
    kind: str
    conn: object
    frame: dict            # the stamped outgoing frame (type, msg, id, username, time)
    route: str
    meeting_id: str | None
    client_id: str | None
    pk: int | None = None
    stored: bool = False


@dataclass(slots=True)
class _Window:
    """A socket's lines queued and not yet relayed."""
    free: asyncio.Semaphore
    idle: asyncio.Event
    pending: int = 0
    warned_at: float = 0.0


@dataclass
class Stats:
    batches: int = 0
    lines: int = 0
    largest: int = 0
    held: int = 0          # frames that waited for room in their socket's window or the queue
    failed: int = 0


class ChatLog:
    def __init__(self):
        self.window = max(1, int(getattr(settings, "CHAT_WINDOW", 32)))
        self.batch_max = max(1, int(getattr(settings, "CHAT_BATCH_MAX", 256)))
        queue_max = max(1, int(getattr(settings, "CHAT_QUEUE_MAX", 4096)))
        self.queue: asyncio.Queue[Line] = asyncio.Queue(maxsize=queue_max)
        self.windows: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.writer: asyncio.Task | None = None
        self.stats = Stats()

    async def submit(self, line: Line) -> None:
        """Queue a line; returns once it is queued (the caller's socket waits while it is full)."""
        window = self.windows.get(line.conn)
        if window is None:
            window = self.windows[line.conn] = _Window(asyncio.Semaphore(self.window), asyncio.Event())
        if window.free.locked() or self.queue.full():
            self.stats.held += 1
            now = time.monotonic()
            if now - window.warned_at >= 1:
                window.warned_at = now
                await _send(line.conn, error("slow_down", SLOW_DOWN, held=True, window=self.window,
                                             **_client(line)))
        await window.free.acquire()
        window.pending += 1
        window.idle.clear()
        try:
            await self.queue.put(line)
        except BaseException:
            self._done(window)
            raise
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write_loop())

    @staticmethod
    def _done(window: _Window) -> None:
        window.free.release()
        window.pending -= 1
        if not window.pending:
            window.idle.set()

    async def settled(self, conn) -> None:
        """Wait until ``conn``'s queued lines are relayed: a sender's frames keep their order."""
        window = self.windows.get(conn)
        if window is not None and window.pending:
            await window.idle.wait()

    async def drain(self) -> None:
        """Wait until every queued line is stored, relayed and acknowledged (tests, shutdown)."""
        await self.queue.join()

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.batch_max and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                try:
                    await loop.run_in_executor(_EXECUTOR, store_batch, batch)
                except Exception:
                    logger.exception("could not store %d chat/transcript lines", len(batch))
                    self.stats.failed += len(batch)
                    for line in batch:
                        await _send(line.conn, error("not_stored", NOT_STORED, **_client(line)))
                    continue
                self.stats.batches += 1
                self.stats.lines += len(batch)
                self.stats.largest = max(self.stats.largest, len(batch))
                await self._relay(batch)
            finally:
                for line in batch:
                    window = self.windows.get(line.conn)
                    if window is not None:
                        self._done(window)
                    self.queue.task_done()

    async def _relay(self, batch: list[Line]) -> None:
        for line in batch:
            conn = line.conn
            if line.kind == CHAT:
                line.frame["messageId"] = line.pk
            envelope = {"route": line.route, "sender": conn.pid, "text": encode(line.frame)}
            try:
                await conn.hub.publish(conn.key, envelope)
            except STORE_ERRORS as exc:
                logger.warning("room %s: stored line not relayed: %r", conn.key, exc)
                await _send(conn, error("unavailable", NOT_RELAYED, **_client(line)))
                await conn.hub.store_failed()
                continue
            except Exception:
                logger.exception("room %s: stored line not relayed", conn.key)
                await _send(conn, error("internal_error", NOT_RELAYED, **_client(line)))
                continue
            if line.client_id is not None:
                ack = {"type": f"{line.kind}-ack", "clientId": line.client_id, "time": line.frame["time"]}
                if line.kind == CHAT:
                    ack["messageId"] = line.pk
                else:
                    ack["stored"] = line.stored
                await _send(conn, encode(ack))


def _client(line: Line) -> dict:
    return {"clientId": line.client_id} if line.client_id is not None else {}


async def _send(conn, text: str) -> None:
    try:
        await conn.base_send({"type": "websocket.send", "text": text})
    except Exception:  # the socket is gone; its lines are stored and relayed all the same
        logger.debug("could not answer a chat sender", exc_info=True)


def store_batch(batch: list[Line]) -> None:
    """One transaction for the whole batch (runs in the chat log's thread); sets ``pk``/``stored``."""
    try:
        with transaction.atomic():
            _insert(batch)
    finally:
        if connection.vendor == "sqlite":
            # The writer's own connection stays open (reopening runs the PRAGMAs every batch).
            if connection.connection is not None and not connection.is_usable():
                connection.close()
        elif getattr(connection, "pool", None):
            connection.close()  # PostgreSQL: back to psycopg's pool, warm for the next batch
        else:
            connection.close_if_unusable_or_obsolete()  # persistent while CONN_MAX_AGE allows


def _insert(batch: list[Line]) -> None:
    wanted = {(line.conn.tenant_id, line.meeting_id) for line in batch if line.meeting_id}
    meetings: dict[tuple, bool] = {}
    if wanted:
        rows = Meeting.objects.filter(pk__in={m for _, m in wanted}).values_list("pk", "tenant_id",
                                                                                   "transcript_enabled")
        meetings = {(tenant, pk): enabled for pk, tenant, enabled in rows}
    chats, chat_lines, lines, line_rows = [], [], [], []
    # Rows sort by (created_at, id): ids ascending along the batch keep ties in insertion order.
    ids = iter(sorted(new_object_id() for _ in batch))
    for line in batch:
        conn, key = line.conn, (line.conn.tenant_id, line.meeting_id)
        if line.kind == CHAT:
            chats.append(ChatMessage(
                id=next(ids), tenant_id=conn.tenant_id, room_id=conn.room_id,
                meeting_id=line.meeting_id if key in meetings else None,
                participant_id=conn.pid, username=conn.username, msg=line.frame["msg"],
            ))
            chat_lines.append(line)
        elif meetings.get(key):  # a transcript line is kept only for a meeting with transcripts on
            lines.append(TranscriptEntry(id=next(ids), tenant_id=conn.tenant_id, meeting_id=line.meeting_id,
                                         user_name=conn.username, message=line.frame["msg"]))
            line_rows.append(line)
    for line, row in zip(chat_lines, ChatMessage.objects.bulk_create(chats), strict=True):
        line.pk, line.stored = row.pk, True
    TranscriptEntry.objects.bulk_create(lines)
    for line in line_rows:
        line.stored = True


# One thread, so one connection (kept between batches: pooled on PostgreSQL), for every batch.
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parley-chatlog")
_logs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_chatlog() -> ChatLog:
    """This event loop's chat log (one per process in production; one per test loop in tests)."""
    loop = asyncio.get_running_loop()
    log = _logs.get(loop)
    if log is None:
        log = _logs[loop] = ChatLog()
    return log


async def settled(conn) -> None:
    """Before any other frame of ``conn`` is relayed (``realtime.dispatch``)."""
    log = _logs.get(asyncio.get_running_loop())
    if log is not None:
        await log.settled(conn)


async def commit(conn, frame: dict, route: str) -> None:
    """The ``commit`` hook of ``chat-box`` and ``transcript`` (see ``realtime.dispatch``)."""
    client_id = frame.pop("clientId", None)
    kind = CHAT if frame["type"] == "chat-box" else TRANSCRIPT
    line = Line(kind=kind, conn=conn, frame=frame, route=route, meeting_id=await conn.meeting_id(),
                client_id=client_id)
    await get_chatlog().submit(line)

