"""One frame from a room socket through the registry: plan, permission, validation,
stamping, ``prepare``, relay (encoded once), ``after``.

``conn.tenant`` is the tenant as loaded at the handshake: its plan is read from it, so the
plan check costs no query per frame, and a socket keeps the plan it joined with (a plan
change applies to sockets that join after it).
"""

from portal.plans.catalogue import PlanRequired, plan_allows
from realtime.frames import encode, now_ms
from realtime.protocol import REGISTRY, REPLY, SERVER_EVENTS, EventError


async def handle_frame(conn, frame: dict) -> None:
    kind = frame["type"]
    event = REGISTRY.get(kind)
    if event is None:
        detail = "Only the server sends this event." if kind in SERVER_EVENTS else f"Unknown event '{kind}'."
        return await conn.send_error("unknown_type", detail[:200])
    if not plan_allows(conn.tenant, event.feature):
        refused = PlanRequired(tenant=conn.tenant, feature=event.feature)
        return await conn.send_error(refused.code, refused.detail, plan=refused.required.code,
                                     feature=event.feature)
    if not event.may_send(conn.role):
        who = "hosts" if event.sender == "host" else "hosts and participants"
        return await conn.send_error("forbidden", f"Only {who} may send '{kind}'.")
    try:
        out = {"type": kind, **event.validate(frame)}
        if event.target is not None and await conn.store.get(conn.key, out[event.target]) is None:
            raise EventError("not_found", f"No participant '{out[event.target]}' in this room.")
        if event.stamp_msg:
            out["msg"] = {**out.get("msg", {}), "socketId": conn.pid, "room_id": conn.room_id}
        out["id"] = conn.pid
        out["username"] = conn.username
        out["time"] = now_ms()
        if event.prepare is not None:
            answer = await event.prepare(conn, out)
            if event.route == REPLY:
                return await conn.reply(answer)
    except EventError as exc:
        return await conn.send_error(exc.code, exc.detail)
    private = {k: out.pop(k) for k in [k for k in out if k[0] == "_"]} if event.prepare else None
    if event.route is not None:
        envelope = {"route": event.route, "sender": conn.pid, "text": encode(out)}
        if event.target is not None:
            envelope["target"] = out[event.target]
        await conn.hub.publish(conn.key, envelope)
    if event.after is not None:
        await event.after(conn, {**out, **private} if private else out)
