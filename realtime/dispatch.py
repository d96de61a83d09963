"""One frame from a room socket through the registry: decoding and checking (``frames.decode``),
plan, permission, validation, stamping, ``prepare``, relay (encoded once), ``after``.

Whatever goes wrong on the way is answered with an ``error`` frame and the socket stays open:
a refusal (``EventError``), the shared store out of reach (``unavailable``: nothing of the frame
was relayed, or the sender is told what was not), or a bug (``internal_error``). A frame never
kills its socket, so a socket never leaves a ghost behind.

``conn.tenant`` is the tenant as loaded at the handshake: its plan is read from it, so the
plan check costs no query per frame, and a socket keeps the plan it joined with (a plan
change applies to sockets that join after it).
"""

import logging

from portal.plans.catalogue import PlanRequired, plan_allows
from realtime import chatlog
from realtime.frames import EventError, decode, encode, now_ms
from realtime.protocol import REGISTRY, REPLY, SERVER_EVENTS
from realtime.store import STORE_ERRORS

logger = logging.getLogger(__name__)

UNAVAILABLE = "The room's shared state is out of reach; this frame was not delivered. Send it again later."
NOT_SAVED = "Delivered, but the room's shared state could not be updated (it is out of reach)."


async def handle_text(conn, text: str) -> None:
    """The walk of one text frame; never raises (but for cancellation)."""
    try:
        frame = decode(text, max_bytes=conn.max_bytes)
    except EventError as exc:
        return await conn.send_error(exc.code, exc.detail)
    await handle_frame(conn, frame)


async def handle_frame(conn, frame: dict) -> None:
    kind = frame["type"]
    try:
        await _walk(conn, kind, frame)
    except EventError as exc:
        return await conn.send_error(exc.code, exc.detail, **exc.extra)
    except STORE_ERRORS as exc:
        logger.warning("room %s: %r while handling '%s'", conn.key, exc, kind)
        await conn.send_error("unavailable", NOT_SAVED if relayed_of(exc) else UNAVAILABLE)
        return await conn.hub.store_failed()
    except Exception:
        logger.exception("room %s: handling '%s' failed", conn.key, kind[:64])
        return await conn.send_error("internal_error", "The server could not handle this frame.")


def relayed_of(exc: BaseException) -> bool:
    return getattr(exc, "parley_relayed", False)


async def _walk(conn, kind: str, frame: dict) -> None:
    event = REGISTRY.get(kind)
    if event is None:
        detail = "Only the server sends this event." if kind in SERVER_EVENTS else f"Unknown event '{kind}'."
        raise EventError("unknown_type", detail[:200])
    if not plan_allows(conn.tenant, event.feature):
        refused = PlanRequired(tenant=conn.tenant, feature=event.feature)
        raise EventError(refused.code, refused.detail, plan=refused.required.code, feature=event.feature)
    if not event.may_send(conn.role):
        who = "hosts" if event.sender == "host" else "hosts and participants"
        raise EventError("forbidden", f"Only {who} may send '{kind}'.")
    if conn.hub.degraded:
        raise EventError("unavailable", UNAVAILABLE)
    out = {"type": kind, **event.validate(frame)}
    if event.target is not None and await conn.store.get(conn.key, out[event.target]) is None:
        raise EventError("not_found", f"No participant '{out[event.target]}' in this room.")
    if event.stamp_msg:
        out["msg"] = {**out.get("msg", {}), "socketId": conn.pid, "room_id": conn.room_id}
    out["id"] = conn.pid
    out["username"] = conn.username
    out["time"] = now_ms()
    seed_id = event.seed_id
    if seed_id is not None:  # the seed's meaning of id, when given; the sender aside
        out["senderId"] = conn.pid
        out["id"] = out.get(seed_id, conn.pid)
    if event.prepare is not None:
        answer = await event.prepare(conn, out)
        if event.route == REPLY:
            for part in answer if isinstance(answer, list) else [answer]:
                await conn.reply(part)
            return
    if event.commit is not None:  # stored first, in batches, then relayed (realtime.chatlog)
        return await event.commit(conn, out, event.route)
    await chatlog.settled(conn)  # this sender's chats queued before this frame are relayed first
    private = {k: out.pop(k) for k in [k for k in out if k[0] == "_"]} if event.prepare else None
    if event.route is not None:
        envelope = {"route": event.route, "sender": conn.pid, "text": encode(out)}
        if event.target is not None:
            envelope["target"] = out[event.target]
        await conn.hub.publish(conn.key, envelope)
    if event.after is not None:
        try:
            await event.after(conn, {**out, **private} if private else out)
        except STORE_ERRORS as exc:
            exc.parley_relayed = True
            raise
