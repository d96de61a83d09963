"""Room state that every process must agree on: presence (the roster), room meta
(meeting id, recording, whiteboard on/off) and the whiteboard itself (stage + strokes
since, with undo and clear applied).

Two implementations of one interface: ``MemoryStore`` for the single-process default,
``RedisStore`` when ``REDIS_URL`` is set. In Redis, a roster entry names the process
(``proc``) that holds the socket; each process keeps a heartbeat key with a TTL, so the
entries of a process that died are swept as soon as its heartbeat expires — no ghosts.

Roster entries carry private fields (``proc``, ``jti``, ``user``, ``guest``, ``exp``) that never
leave the server; ``public_entry`` strips them.

A store call that cannot reach Redis raises one of ``STORE_ERRORS`` within about
``REDIS_TIMEOUT_SECONDS`` (never hangs); the hub then marks the process degraded and rebuilds
presence from its live sockets when Redis answers again (``restore``/``prune``).
"""

import asyncio
import json
import logging
import time
import weakref
from collections import OrderedDict

from django.conf import settings
from redis.exceptions import RedisError

from realtime.groups import redis_key

logger = logging.getLogger(__name__)

PRIVATE_FIELDS = ("proc", "jti", "user", "guest", "exp", "joined")
MAX_STROKES = 20_000
#: drawingType values that continue a stroke; anything else starts one (undo removes a whole stroke).
CONTINUATIONS = frozenset(
    {"mousemove", "mouseup", "touchmove", "touchend", "pointermove", "pointerup", "move", "end", "draw"}
)
STROKE_FLUSH_SECONDS = 0.02
#: How long a Redis call may take before the store gives up on it (a paused Redis must not
#: hang a socket's handler, nor the joins queued behind it).
REDIS_TIMEOUT_SECONDS = 1.5
#: What a store call raises when the shared store is out of reach.
STORE_ERRORS = (RedisError, OSError, TimeoutError)


def state_ttl() -> int:
    """Seconds a quiet room's state (meta, whiteboard) is kept after its last change."""
    return settings.WS_ROOM_STATE_TTL_SECONDS


def presence_ttl() -> int:
    """Seconds after which a silent process's sockets are forgotten (``WS_PRESENCE_TTL_SECONDS``)."""
    return settings.WS_PRESENCE_TTL_SECONDS


def public_entry(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k not in PRIVATE_FIELDS}


def stroke_starts(msg: dict) -> bool:
    return msg.get("drawingType") not in CONTINUATIONS


class MemoryStore:
    """Process-local state: right for one process (the in-memory channel layer).

    A room's meta and whiteboard are forgotten once nobody is in it and nothing changed for
    ``state_ttl()`` seconds (as Redis expires them), so memory is bounded by the rooms in use,
    not by every room ever used. Rooms are kept in last-change order; forgetting walks from the
    quietest and stops at the first one still in use, at most once per ``FORGET_EVERY`` seconds.
    """

    shared = False
    FORGET_EVERY = 60.0

    def __init__(self, *, clock=time.monotonic):
        self._rosters: dict[str, dict[str, dict]] = {}
        self._meta: dict[str, dict] = {}
        self._stage: dict[str, object] = {}
        self._strokes: dict[str, list[tuple[bool, dict]]] = {}
        self._clock = clock
        self._touched: OrderedDict[str, float] = OrderedDict()
        self._forgot_at = clock()

    def _touch(self, key: str) -> None:
        now = self._clock()
        self._touched[key] = now
        self._touched.move_to_end(key)
        if now - self._forgot_at >= self.FORGET_EVERY:
            self._forgot_at = now
            self.forget_quiet(now)

    def forget_quiet(self, now: float | None = None) -> int:
        """Drop the state of rooms that are empty and unchanged for ``state_ttl()``; how many."""
        cutoff = (self._clock() if now is None else now) - state_ttl()
        forgotten = 0
        for key, stamp in list(self._touched.items()):
            if stamp > cutoff:
                break
            del self._touched[key]
            if key in self._rosters:  # people are in it: keep it, and look again a TTL later
                self._touched[key] = stamp + state_ttl()
                continue
            for table in (self._meta, self._stage, self._strokes):
                table.pop(key, None)
            forgotten += 1
        return forgotten

    def rooms(self) -> int:
        """How many rooms this store holds anything for (memory bound checks)."""
        return len(set(self._rosters) | set(self._meta) | set(self._stage) | set(self._strokes))

    async def join(self, key: str, entry: dict, *, limit: int | None) -> bool:
        roster = self._rosters.setdefault(key, {})
        if limit is not None and len(roster) >= limit:
            if not roster:
                del self._rosters[key]
            return False
        roster[entry["id"]] = entry
        meta = self._meta.setdefault(key, {})
        meta["views"] = meta.get("views", 0) + 1  # every join counts: the seed's "total views"
        self._touch(key)
        return True

    async def leave(self, key: str, pid: str) -> bool:
        roster = self._rosters.get(key, {})
        found = roster.pop(pid, None) is not None
        if not roster:
            self._rosters.pop(key, None)
            if found:
                self._touch(key)
        return found

    async def restore(self, key: str, entries: list[dict]) -> list[dict]:
        roster = self._rosters.setdefault(key, {})
        missing = [e for e in entries if e["id"] not in roster]
        roster.update({e["id"]: e for e in missing})
        if not roster:
            del self._rosters[key]
        return missing

    async def prune(self, key: str, proc: str, live: set[str]) -> list[dict]:
        return []

    async def roster(self, key: str) -> list[dict]:
        return list(self._rosters.get(key, {}).values())

    async def get(self, key: str, pid: str) -> dict | None:
        return self._rosters.get(key, {}).get(pid)

    async def update(self, key: str, pid: str, fields: dict) -> None:
        entry = self._rosters.get(key, {}).get(pid)
        if entry is not None:
            entry.update(fields)

    async def update_all(self, key: str, fields: dict, *, except_role: str) -> None:
        for entry in self._rosters.get(key, {}).values():
            if entry.get("role") != except_role:
                entry.update(fields)

    async def sweep(self, key: str) -> list[dict]:
        return []

    async def heartbeat(self, proc: str) -> bool:
        return False

    async def meta(self, key: str) -> dict:
        return dict(self._meta.get(key, {}))

    async def meta_set(self, key: str, **fields) -> None:
        self._meta.setdefault(key, {}).update(fields)
        self._touch(key)

    async def meta_cas(self, key: str, field: str, expected, value) -> bool:
        """Set ``field`` to ``value`` only if it is ``expected`` now (``None``: absent)."""
        meta = self._meta.setdefault(key, {})
        if meta.get(field) != expected:
            return False
        if value is None:
            meta.pop(field, None)
        else:
            meta[field] = value
        return True

    async def wb_state(self, key: str) -> dict:
        return {"stage": self._stage.get(key), "strokes": [m for _, m in self._strokes.get(key, [])]}

    async def wb_stage(self, key: str, stage) -> None:
        self._stage[key] = stage
        self._strokes[key] = []
        self._touch(key)

    async def wb_stroke(self, key: str, msg: dict) -> None:
        strokes = self._strokes.get(key)
        if strokes is None:
            strokes = self._strokes[key] = []
            self._touch(key)  # later strokes keep the room in use through its roster
        strokes.append((stroke_starts(msg), msg))
        if len(strokes) > MAX_STROKES:
            del strokes[: len(strokes) - MAX_STROKES]

    async def wb_undo(self, key: str) -> None:
        strokes = self._strokes.get(key, [])
        while strokes:
            starts, _ = strokes.pop()
            if starts:
                break

    async def wb_clear(self, key: str) -> None:
        self._stage.pop(key, None)
        self._strokes.pop(key, None)


# Undo: pop events until the one that started the stroke ("S" prefix) is popped.
_UNDO = """
local v = redis.call('RPOP', KEYS[1])
while v and string.sub(v, 1, 1) ~= 'S' do v = redis.call('RPOP', KEYS[1]) end
return 1
"""
_SET_IF_PRESENT = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
"""
# Compare-and-set of one room-meta field (ARGV[2] = expected JSON, '' = absent; ARGV[3] = new, '' = delete).
_META_CAS = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (cur == false and ARGV[2] ~= '') or (cur ~= false and cur ~= ARGV[2]) then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1])
else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""
# Join with a capacity check (ARGV[3] = limit, 0 = none) in one step.
_JOIN = """
local limit = tonumber(ARGV[3])
if limit > 0 and redis.call('HLEN', KEYS[1]) >= limit then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""


class RedisStore:
    """Shared state in Redis; one client per event loop (redis.asyncio clients are loop-bound)."""

    shared = True

    def __init__(self, url: str, prefix: str):
        self.url = url
        self.prefix = prefix
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._pending: dict[str, list[str]] = {}
        self._flushes: set = set()

    def _redis(self):
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            # Fail fast instead of hanging (a paused Redis) or backing off for seconds (one retry
            # on a fresh connection covers a pooled connection that went stale while Redis restarted).
            client = aioredis.from_url(
                self.url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 1), health_check_interval=15,
            )
            self._clients[loop] = client
        return client

    def _k(self, kind: str, key: str = "") -> str:
        return redis_key(self.prefix, kind, key)

    async def join(self, key: str, entry: dict, *, limit: int | None) -> bool:
        r = self._redis()
        ok = await r.eval(
            _JOIN, 1, self._k("presence", key), entry["id"], json.dumps(entry), limit or 0, state_ttl()
        )
        if ok:  # every join counts: the seed's "total views" (a JSON integer, as meta() reads it)
            await r.hincrby(self._k("meta", key), "views", 1)
            await r.expire(self._k("meta", key), state_ttl())
        return bool(ok)

    async def restore(self, key: str, entries: list[dict]) -> list[dict]:
        """Write back those of this process's live entries that Redis lost; the ones written.
        Entries still there are left as they are (they carry mute/hand state set since)."""
        if not entries:
            return []
        async with self._redis().pipeline(transaction=True) as pipe:
            for e in entries:
                pipe.hsetnx(self._k("presence", key), e["id"], json.dumps(e))
            pipe.expire(self._k("presence", key), state_ttl())
            written = await pipe.execute()
        return [e for e, ok in zip(entries, written, strict=False) if ok]

    async def prune(self, key: str, proc: str, live: set[str]) -> list[dict]:
        """Drop (and return) entries of ``proc`` whose socket is not live any more."""
        entries = await self._raw_roster(key)
        stale = [e for pid, e in entries.items() if e.get("proc") == proc and pid not in live]
        if stale:
            await self._redis().hdel(self._k("presence", key), *[e["id"] for e in stale])
        return stale

    async def leave(self, key: str, pid: str) -> bool:
        return bool(await self._redis().hdel(self._k("presence", key), pid))

    async def _raw_roster(self, key: str) -> dict[str, dict]:
        raw = await self._redis().hgetall(self._k("presence", key))
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    async def roster(self, key: str) -> list[dict]:
        entries = await self._raw_roster(key)
        alive = await self._alive({e.get("proc") for e in entries.values()})
        live = [e for e in entries.values() if e.get("proc") in alive]
        return sorted(live, key=lambda e: e.get("joined", 0))  # join order, as in memory

    async def get(self, key: str, pid: str) -> dict | None:
        raw = await self._redis().hget(self._k("presence", key), pid)
        return json.loads(raw) if raw else None

    async def update(self, key: str, pid: str, fields: dict) -> None:
        entry = await self.get(key, pid)
        if entry is not None:
            # Written only if still present: a leave racing this update wins.
            await self._redis().eval(_SET_IF_PRESENT, 1, self._k("presence", key), pid,
                                     json.dumps({**entry, **fields}))

    async def update_all(self, key: str, fields: dict, *, except_role: str) -> None:
        entries = await self._raw_roster(key)
        changed = {
            pid: json.dumps({**e, **fields}) for pid, e in entries.items() if e.get("role") != except_role
        }
        if changed:
            await self._redis().hset(self._k("presence", key), mapping=changed)

    async def _alive(self, procs: set) -> set:
        procs = [p for p in procs if p]
        if not procs:
            return set()
        beats = await self._redis().mget([self._k("proc", p) for p in procs])
        return {p for p, beat in zip(procs, beats, strict=True) if beat is not None}

    async def sweep(self, key: str) -> list[dict]:
        """Drop (and return) the entries of processes whose heartbeat expired."""
        entries = await self._raw_roster(key)
        alive = await self._alive({e.get("proc") for e in entries.values()})
        dead = [e for e in entries.values() if e.get("proc") not in alive]
        if dead:
            await self._redis().hdel(self._k("presence", key), *[e["id"] for e in dead])
        return dead

    async def heartbeat(self, proc: str) -> bool:
        """Keep ``proc`` alive; True when its key was gone (Redis lost its state, or the
        process was silent for longer than the TTL): its sockets must be registered again."""
        previous = await self._redis().set(self._k("proc", proc), "1", ex=presence_ttl(), get=True)
        return previous is None

    async def meta(self, key: str) -> dict:
        raw = await self._redis().hgetall(self._k("meta", key))
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    async def meta_set(self, key: str, **fields) -> None:
        r = self._redis()
        await r.hset(self._k("meta", key), mapping={k: json.dumps(v) for k, v in fields.items()})
        await r.expire(self._k("meta", key), state_ttl())

    async def meta_cas(self, key: str, field: str, expected, value) -> bool:
        """Set ``field`` to ``value`` only if it is ``expected`` now (``None``: absent). Values
        compare as their JSON text, so ``expected`` must be what ``meta`` returned."""
        ok = await self._redis().eval(
            _META_CAS, 1, self._k("meta", key), field, "" if expected is None else json.dumps(expected),
            "" if value is None else json.dumps(value), state_ttl(),
        )
        return bool(ok)

    async def wb_state(self, key: str) -> dict:
        await self._flush_strokes(key)
        r = self._redis()
        stage, strokes = await asyncio.gather(
            r.get(self._k("wbstage", key)), r.lrange(self._k("wbstrokes", key), 0, -1)
        )
        return {
            "stage": json.loads(stage) if stage else None,
            "strokes": [json.loads(s[1:]) for s in strokes],
        }

    async def wb_stage(self, key: str, stage) -> None:
        await self._flush_strokes(key)
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.set(self._k("wbstage", key), json.dumps(stage), ex=state_ttl())
            pipe.delete(self._k("wbstrokes", key))
            await pipe.execute()

    async def wb_stroke(self, key: str, msg: dict) -> None:
        """Strokes are written behind, batched per room (``STROKE_FLUSH_SECONDS``): at hundreds of
        strokes per second a Redis round trip each would cost more than relaying them. Every
        other whiteboard operation of this process flushes first, so order is kept."""
        pending = self._pending.setdefault(key, [])
        pending.append(("S" if stroke_starts(msg) else "C") + json.dumps(msg))
        if len(pending) == 1:
            loop = asyncio.get_running_loop()
            loop.call_later(STROKE_FLUSH_SECONDS, self._schedule_flush, loop, key)

    def _schedule_flush(self, loop, key: str) -> None:
        task = loop.create_task(self._flush_strokes(key))
        self._flushes.add(task)  # keep a reference until done (asyncio holds tasks weakly)
        task.add_done_callback(self._flush_done)

    def _flush_done(self, task) -> None:
        self._flushes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("whiteboard strokes could not be stored", exc_info=task.exception())

    async def _flush_strokes(self, key: str) -> None:
        items = self._pending.pop(key, None)
        if not items:
            return
        try:
            async with self._redis().pipeline(transaction=False) as pipe:
                pipe.rpush(self._k("wbstrokes", key), *items)
                pipe.ltrim(self._k("wbstrokes", key), -MAX_STROKES, -1)
                pipe.expire(self._k("wbstrokes", key), state_ttl())
                await pipe.execute()
        except STORE_ERRORS:
            # Relayed already; keep them (in order, bounded) for the next flush once Redis answers.
            later = self._pending.get(key, [])
            self._pending[key] = (items + later)[-MAX_STROKES:]
            if not later:
                loop = asyncio.get_running_loop()
                loop.call_later(1.0, self._schedule_flush, loop, key)
            raise

    async def wb_undo(self, key: str) -> None:
        await self._flush_strokes(key)
        await self._redis().eval(_UNDO, 1, self._k("wbstrokes", key))

    async def wb_clear(self, key: str) -> None:
        self._pending.pop(key, None)
        await self._redis().delete(self._k("wbstage", key), self._k("wbstrokes", key))


_store = None


def get_store():
    """The process's store: Redis when ``REDIS_URL`` is set, memory otherwise."""
    global _store
    if _store is None:
        if getattr(settings, "REDIS_URL", ""):
            config = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})
            _store = RedisStore(settings.REDIS_URL, config.get("prefix", "parley"))
        else:
            _store = MemoryStore()
    return _store
