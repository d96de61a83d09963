"""Socket.IO (Engine.IO v4) transport for the seed's three sockets (docs/protocol.md, "Socket.IO").

A transport adapter, not a second implementation: each Socket.IO connection is driven through
the native consumer of its socket (``RoomConsumer``, ``MeetConsumer``, ``RecordingConsumer``),
whose ASGI messages are turned into Socket.IO packets by ``bridge.Bridge``. Joining, leaving,
the event registry, plan, permission, rate and frame checks, and the hub's fan-out (local and
across processes) are the native socket's own.
"""
