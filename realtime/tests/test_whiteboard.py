"""The whiteboard lives on the server: late joiners get it even after its owner left."""

from realtime.tests.conftest import socket_db

pytestmark = socket_db


def stroke(kind: str, n: int) -> dict:
    return {"type": "sendDrawingData", "msg": {"drawingType": kind, "payload": {"n": n}, "socketId": "x"}}


async def state_of(client) -> dict:
    await client.send({"type": "whiteBoardStateRequest", "msg": {"room_id": "whatever"}})
    frame = await client.recv_type("white-board-stage")
    return frame["msg"]


async def test_late_joiner_gets_stage_and_strokes_after_owner_left(client_for):
    h = await client_for("host", "Alice")
    await h.send({"type": "whiteBoardToggle", "msg": {"flag": True}})
    await h.send({"type": "white-board-stage", "msg": {"stage": {"attrs": {"w": 800}, "children": []}}})
    for i, kind in enumerate(["mousedown", "mousemove", "mouseup", "mousedown", "mousemove", "mouseup"]):
        await h.send(stroke(kind, i))
    await h.send({"type": "Un-do", "msg": {}})  # drops the second stroke (3 events)
    await h.send(stroke("mousedown", 9))
    await h.close()

    late = await client_for("participant", "Late")
    assert late.state["whiteboard"] == {"enabled": True}
    state = await state_of(late)
    assert state["stage"] == {"attrs": {"w": 800}, "children": []}
    assert [s["payload"]["n"] for s in state["strokes"]] == [0, 1, 2, 9]
    assert all(s["socketId"] != "x" for s in state["strokes"])  # stamped by the server
    assert state["enabled"] is True and state["socketId"] == late.id
    await late.close()


async def test_new_stage_restarts_strokes_and_clear_empties(client_for):
    h = await client_for("host")
    await h.send(stroke("mousedown", 1))
    await h.send({"type": "white-board-stage", "msg": {"stage": {"children": [1]}}})
    await h.send(stroke("mousedown", 2))
    state = await state_of(h)
    assert state["stage"] == {"children": [1]} and [s["payload"]["n"] for s in state["strokes"]] == [2]
    await h.send({"type": "clear-whiteBoard", "msg": {}})
    state = await state_of(h)
    assert state["stage"] is None and state["strokes"] == []
    await h.close()


async def test_200_strokes_arrive_in_order(client_for):
    a = await client_for("participant", "Drawer")
    b = await client_for("participant", "Watcher")
    await a.drain()
    await b.drain()
    for i in range(200):
        await a.send(stroke("mousemove" if i % 10 else "mousedown", i))
    got = [(await b.recv_type("sendDrawingData"))["msg"]["payload"]["n"] for _ in range(200)]
    assert got == list(range(200))
    assert await a.nothing()  # the drawer is not echoed its own strokes
    assert [s["payload"]["n"] for s in (await state_of(b))["strokes"]] == list(range(200))
    await a.close()
    await b.close()


async def test_the_boards_owner_is_asked_too_as_in_the_seed(client_for):
    """The server answers whiteBoardStateRequest; the host who turned the board on is also asked
    (the seed's flow), and its white-board-stage reaches the asker."""
    h = await client_for("host", "Alice")
    await h.send({"type": "whiteBoardToggle", "msg": {"flag": True}})
    late = await client_for("participant", "Late")
    await state_of(late)  # the server's answer
    ask = await h.recv_type("whiteBoardStateRequest")
    assert (ask["id"], ask["msg"]["socketId"]) == (late.id, late.id)
    await h.send({"type": "white-board-stage", "msg": {"stage": {"attrs": {"w": 1}, "children": []}}})
    answer = await late.recv_type("white-board-stage")
    assert (answer["id"], answer["msg"]["stage"]["attrs"]) == (h.id, {"w": 1})
    # the owner asking gets the server's answer only; a board turned off has no owner to ask
    await state_of(h)
    await h.send({"type": "whiteBoardToggle", "msg": {"flag": False}})
    await late.recv_type("whiteBoardToggle")
    await state_of(late)
    assert await h.nothing()
    await h.close()
    await late.close()
