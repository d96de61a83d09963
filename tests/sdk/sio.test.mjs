// The Socket.IO transport with the official socket.io-client, against a live daphne
// (realtime/tests/test_sio.py::test_official_socketio_client starts it and passes, in SIO_TEST,
// the server's URL, room tokens and a WebM clip). The native room socket is spoken with `ws`
// (socket.io-client's own WebSocket library in Node).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test, after } from "node:test";

import { io } from "socket.io-client";
import WebSocket from "ws";

const env = JSON.parse(process.env.SIO_TEST);
const opened = [];
after(() => opened.forEach((s) => s.close()));

function sio(path, auth, options = {}) {
  const socket = io(env.base, { path, auth, reconnection: false, forceNew: true, ...options });
  opened.push(socket);
  return socket;
}

/** Resolves with the next `event` whose payload passes `match` (within 5 s). */
function next(socket, event, match = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event}`)), 5000);
    const on = (data) => {
      if (!match(data)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(data);
    };
    socket.on(event, on);
  });
}

function connected(socket) {
  return new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
}

function refused(socket) {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => reject(new Error("connected")));
    socket.once("connect_error", resolve);
  });
}

/** The native room socket: frames in a queue, `next(type)` like above. */
async function native(token) {
  const ws = new WebSocket(`${env.base.replace("http", "ws")}/ws/rooms/${env.roomId}/?token=${token}`);
  opened.push(ws);
  const frames = [];
  const waiting = [];
  ws.on("message", (data) => {
    const frame = JSON.parse(data.toString());
    frames.push(frame);
    waiting.forEach((w) => w());
  });
  ws.next = (type, match = () => true) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no native ${type}`)), 5000);
    const look = () => {
      const at = frames.findIndex((f) => f.type === type && match(f));
      if (at < 0) return;
      clearTimeout(timer);
      resolve(frames.splice(at, 1)[0]);
    };
    waiting.push(look);
    look();
  });
  ws.sendFrame = (frame) => ws.send(JSON.stringify(frame));
  await new Promise((resolve) => ws.once("open", resolve));
  return ws;
}

test("a Socket.IO client and a native client share one room", async () => {
  const host = await native(env.hostToken);
  const you = (await host.next("room_state")).you;
  // default transports: long-polling first, then the upgrade to WebSocket
  const bob = sio("/erizocontroller/socket.io", { token: env.participantToken });
  const state = next(bob, "room_state");
  await connected(bob);
  const bobId = (await state).you.id;
  assert.equal((await host.next("room_connected", (f) => f.id === bobId)).username, "Bob");

  // chat both ways
  assert.deepEqual(await bob.emitWithAck("chat-box", { msg: "hello from socket.io" }), { ok: true });
  const chat = await host.next("chat-box");
  assert.equal(chat.msg, "hello from socket.io");
  assert.ok(Math.abs((await state).time - Date.now() / 1000) < 60); // the seed's seconds by default
  assert.equal(chat.id, bobId);
  host.sendFrame({ type: "chat-box", msg: "hello from native" });
  assert.equal((await next(bob, "chat-box")).msg, "hello from native");
  // the seed's "send data": a whole frame on the generic event
  bob.send({ type: "sendDrawingData", msg: { drawingType: "mousedown", payload: { pos: { x: 1, y: 2 } } } });
  const stroke = await host.next("sendDrawingData");
  assert.equal(stroke.msg.socketId, bobId);

  // host controls: the native host's reaches Socket.IO; the participant's is refused
  host.sendFrame({ type: "mute-participant", userId: bobId });
  assert.equal((await next(bob, "mute-participant")).userId, bobId);
  const error = next(bob, "error");
  const answer = await bob.emitWithAck("remove-participant", { userId: you.id });
  assert.equal(answer.ok, false);
  assert.equal(answer.error.code, "forbidden");
  assert.equal((await error).code, "forbidden");

  // leaving is seen by the native client
  bob.disconnect();
  await host.next("room_disconnected", (f) => f.id === bobId);
});

test("frames: 'message' delivers every frame on the generic event", async () => {
  const viewer = sio("/erizocontroller/socket.io", { token: env.viewerToken, frames: "message", timeUnit: "ms" },
    { transports: ["websocket"] });
  const state = next(viewer, "message", (f) => f.type === "room_state");
  await connected(viewer);
  assert.equal((await state).you.role, "viewer");
  assert.ok(Math.abs((await state).time - Date.now()) < 60_000); // milliseconds, as asked
  viewer.disconnect();
});

test("the seed's URL as is: /socket.io/ with the namespace /erizocontroller/socket.io", async () => {
  const socket = io(`${env.base}/erizocontroller/socket.io`, { auth: { token: env.viewerToken }, reconnection: false, forceNew: true });
  opened.push(socket);
  const state = next(socket, "room_state");
  await connected(socket);
  assert.equal((await state).you.username, "Vic");
  assert.equal((await socket.emitWithAck("chat-box", { msg: "seed url" })).ok, true);
  socket.disconnect();
});

test("refusals: a bad token, another tenant's token, an unknown site", async () => {
  const bad = await refused(sio("/erizocontroller/socket.io", { token: "forged" }));
  assert.equal(bad.message, "unauthorised");
  assert.equal(bad.data.code, 4401);
  const foreign = await refused(sio("/erizocontroller/socket.io", { token: env.otherTenantToken }));
  assert.equal(foreign.data.code, 4401);
  const meet = await refused(sio("/socket.io", { token: "forged" }));
  assert.equal(meet.data.code, 4401);
});

test("the meet socket: room.join", async () => {
  const meet = sio("/socket.io", { token: env.loginToken });
  await connected(meet);
  const joined = await meet.emitWithAck("room.join", { roomId: env.roomId, sessionType: "viewer", ip: "192.168.0.100" });
  assert.deepEqual(joined, { type: "room.joined", roomId: env.roomId, sessionType: "viewer" });
  meet.disconnect();
});

test("the recording socket: create-file, binary stream, stop-writing, process-recording", async () => {
  const rec = sio("/recording/socket.io", { token: env.hostToken });
  await connected(rec);
  const created = await rec.emitWithAck("create-file", { roomId: env.roomId, recordingId: "rec-node", videoId: "cam-1" });
  assert.equal(created.type, "file-created");
  const clip = readFileSync(env.clip);
  let total = 0;
  for (let at = 0; at < clip.length; at += 32 * 1024) {
    const piece = clip.subarray(at, at + 32 * 1024);
    total += piece.length;
    assert.deepEqual(await rec.emitWithAck("stream", { data: piece, videoId: "cam-1" }),
      { type: "ack", videoId: "cam-1", bytes: total });
  }
  assert.deepEqual(await rec.emitWithAck("stop-writing", "cam-1"), { type: "file-closed", videoId: "cam-1", bytes: total });
  const processing = await rec.emitWithAck("process-recording", { roomId: env.roomId, recordingId: "rec-node" });
  assert.equal(processing.processing, "pending");
  rec.disconnect();
});
