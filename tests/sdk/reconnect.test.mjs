// The SDK's reconnect rules, run by `node --test` against static/parley/sdk.js with a fake
// WebSocket (tests/sdk/test_sdk_node.py runs this file as part of the pytest suite).
import assert from "node:assert/strict";
import { test } from "node:test";

import { Room, reconnectDelay, tokenExpired } from "../../static/parley/sdk.js";

function token(claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "HS256" })}.${b64({ room: "r1", ...claims })}.sig`;
}

class FakeSocket {
  static opened = [];
  static OPEN = 1;
  constructor(url) { this.url = url; this.readyState = 0; FakeSocket.opened.push(this); }
  send() {}
  close() {}
  drop(code, reason = "") { this.readyState = 3; this.onclose?.({ code, reason }); }
  state(you = { id: "me", username: "Me", role: "host" }) {
    this.readyState = 1;
    this.onmessage?.({ data: JSON.stringify({ type: "room_state", you, participants: [you] }) });
  }
}
globalThis.WebSocket = FakeSocket;

function joined(tok) {
  FakeSocket.opened = [];
  const room = new Room({ token: tok, url: "ws://parley.test" });
  const events = [];
  for (const name of ["reconnecting", "disconnected", "removed"]) room.on(name, (e) => events.push([name, e]));
  const ready = room.connect();
  FakeSocket.opened[0].state();
  return { room, events, ready };
}

test("delays grow exponentially, are jittered, and stop at the cap", () => {
  const low = [0, 1, 2, 3, 4, 5, 6, 10].map((a) => reconnectDelay(a, () => 0));
  const high = [0, 1, 2, 3, 4, 5, 6, 10].map((a) => reconnectDelay(a, () => 1));
  assert.deepEqual(low, [125, 250, 500, 1000, 2000, 4000, 5000, 5000]);
  assert.deepEqual(high, [250, 500, 1000, 2000, 4000, 8000, 10000, 10000]);
  const spread = new Set(Array.from({ length: 50 }, () => reconnectDelay(3)));
  assert.ok(spread.size > 10, "delays are drawn at random");
  for (const d of spread) assert.ok(d >= 1000 && d <= 2000);
});

test("a drop is retried with the jittered delay", async () => {
  const { room, events, ready } = joined(token({ exp: Date.now() / 1000 + 3600 }));
  await ready;
  FakeSocket.opened[0].drop(1006);
  assert.equal(room.status, "reconnecting");
  assert.equal(events[0][0], "reconnecting");
  assert.ok(events[0][1].delay >= 125 && events[0][1].delay <= 250);
  room.leave();
});

test("an expired token stops at once, without another attempt", async () => {
  const { room, events, ready } = joined(token({ exp: Date.now() / 1000 + 3600 }));
  await ready;
  room.token = token({ exp: Date.now() / 1000 - 1 }); // it expired while the meeting went on
  FakeSocket.opened[0].drop(1006);
  assert.deepEqual(events.map((e) => e[0]), ["disconnected"]);
  assert.equal(events[0][1].code, 4401);
  assert.equal(room.status, "left");
  assert.equal(FakeSocket.opened.length, 1);
});

test("4401 (revoked or expired, said by the server) and 4003 are final", async () => {
  for (const code of [4401, 4003]) {
    const { room, events, ready } = joined(token({ exp: Date.now() / 1000 + 3600 }));
    await ready;
    FakeSocket.opened[0].drop(code);
    assert.ok(!events.some((e) => e[0] === "reconnecting"), `${code} is not retried`);
    assert.equal(room.status, code === 4003 ? "removed" : "left");
  }
});

test("4503 (try again later), 4500 and 1006 are retried", async () => {
  for (const code of [4503, 4500, 1006]) {
    const { room, events, ready } = joined(token({ exp: Date.now() / 1000 + 3600 }));
    await ready;
    FakeSocket.opened[0].drop(code);
    assert.equal(events[0][0], "reconnecting", `${code} is retried`);
    room.leave();
  }
});

test("tokenExpired reads exp in seconds", () => {
  assert.equal(tokenExpired(token({ exp: 10 }), 10_000), true);
  assert.equal(tokenExpired(token({ exp: 11 }), 10_000), false);
  assert.equal(tokenExpired(token({})), false);
});
