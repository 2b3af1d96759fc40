// Drives a running VoicePanel sandbox with Fishjam's official JavaScript server SDK
// (@fishjam-cloud/js-server-sdk) and prints one JSON line per operation:
//   {"op": "rooms.create.conference", "ok": true, "detail": "..."}
// Environment: FISHJAM_URL (the sandbox's own address), FISHJAM_TOKEN (management token),
// WEBHOOK_SECRET (the sandbox's webhook signing secret). Run by
// tests/sandbox/test_fishjam_js_sdk.py; it asserts on every line.
"use strict";

const crypto = require("node:crypto");
const http = require("node:http");

// The SDK uses the WHATWG WebSocket global, which Node has by default from version 22;
// on older Node the `ws` package provides the same interface.
const websocketImpl = typeof globalThis.WebSocket === "function" ? "native" : "ws";
if (websocketImpl === "ws") globalThis.WebSocket = require("ws");

const {
  BadRequestException,
  FishjamClient,
  FishjamWSNotifier,
  PeerNotFoundException,
  RoomNotFoundException,
  ServerMessage,
  UnauthorizedException,
  UnknownException,
} = require("@fishjam-cloud/js-server-sdk");
const { check, report, step } = require("./reporting.js");

const fishjamId = process.env.FISHJAM_URL;
const managementToken = process.env.FISHJAM_TOKEN;
const webhookSecret = process.env.WEBHOOK_SECRET;
const RATE = 16000;

const client = new FishjamClient({ fishjamId, managementToken });

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(predicate, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(10);
  }
}

async function rejects(promise, errorClass, status) {
  try {
    await promise;
  } catch (error) {
    check(error instanceof errorClass, `expected ${errorClass.name}, got ${error?.constructor?.name}: ${error?.message}`);
    check(error.statusCode === status, `expected status ${status}, got ${error.statusCode}`);
    return `${errorClass.name} ${error.statusCode}: ${error.details}`;
  }
  throw new Error(`expected ${errorClass.name}, but the call succeeded`);
}

// -- audio --------------------------------------------------------------------------------

function tone(freqHz, seconds, rate = RATE) {
  const samples = new Int16Array(Math.round(seconds * rate));
  for (let i = 0; i < samples.length; i++) {
    samples[i] = Math.round(Math.sin((2 * Math.PI * freqHz * i) / rate) * 12000);
  }
  return new Uint8Array(samples.buffer);
}

// Estimates a pure tone's frequency from its zero crossings.
function frequencyOf(bytes, rate) {
  const samples = new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 2));
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) {
    if ((samples[i - 1] < 0) !== (samples[i] < 0)) crossings++;
  }
  return crossings / 2 / (samples.length / rate);
}

// Everything one agent hears, per sending peer.
class Ears {
  constructor(agent) {
    this.byPeer = new Map();
    this.chunkBytes = new Set();
    agent.on("trackData", (message) => {
      const chunks = this.byPeer.get(message.peerId) ?? [];
      chunks.push(Buffer.from(message.data));
      this.byPeer.set(message.peerId, chunks);
      this.chunkBytes.add(message.data.byteLength);
    });
  }

  bytesFrom(peerId) {
    return (this.byPeer.get(peerId) ?? []).reduce((sum, chunk) => sum + chunk.length, 0);
  }

  audioFrom(peerId) {
    return new Uint8Array(Buffer.concat(this.byPeer.get(peerId) ?? []));
  }

  peers() {
    return [...this.byPeer.keys()];
  }
}

async function connectAgent(roomId, options = {}) {
  const closes = [];
  const { agent, peer } = await client.createAgent(roomId, options, {
    onClose: (code, reason) => closes.push({ code, reason }),
  });
  return { agent, peer, ears: new Ears(agent), closes };
}

const PCM16 = { encoding: "pcm16", sampleRate: RATE, channels: 1 };

// -- the notifier ---------------------------------------------------------------------------

const NOTIFICATION_KINDS = [
  "roomCreated", "roomDeleted", "roomCrashed", "peerAdded", "peerDeleted", "peerConnected",
  "peerDisconnected", "peerMetadataUpdated", "peerCrashed", "trackAdded", "trackRemoved",
  "trackMetadataUpdated",
];

function openNotifier(token = managementToken) {
  const seen = [];
  const closes = [];
  const errors = [];
  const notifier = new FishjamWSNotifier(
    { fishjamId, managementToken: token },
    (error) => errors.push(error),
    (code, reason) => closes.push({ code, reason }),
  );
  for (const kind of NOTIFICATION_KINDS) {
    notifier.on(kind, (message) => seen.push({ kind, message }));
  }
  const kindsFor = (roomId) => seen.filter((n) => n.message.roomId === roomId).map((n) => n.kind);
  return { notifier, seen, closes, errors, kindsFor };
}

// -- webhooks -------------------------------------------------------------------------------

// A receiver on 127.0.0.1 that records each delivery's body and signature header.
function startWebhookReceiver() {
  const deliveries = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      deliveries.push({
        body: Buffer.concat(chunks),
        signature: request.headers["x-fishjam-signature-256"] ?? "",
        contentType: request.headers["content-type"] ?? "",
      });
      response.writeHead(200).end();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({ server, deliveries, url: `http://127.0.0.1:${server.address().port}/hook` });
    });
  });
}

// The JavaScript SDK (0.25.0) offers no signature helper; this checks the header exactly as
// the Python SDK's verify_webhook_signature does: "sha256=" + hex HMAC-SHA256 of the raw body.
function signatureIsValid(body, header, secret) {
  const expected = crypto.createHmac("sha256", secret).update(body).digest("hex");
  const provided = String(header).trim().replace(/^sha256=/, "");
  return provided.length === expected.length &&
    crypto.timingSafeEqual(Buffer.from(provided), Buffer.from(expected));
}

// The notification kind of one webhook body, decoded with the SDK's own protobuf.
function kindInWebhook(body) {
  const message = ServerMessage.decode(new Uint8Array(body));
  return Object.entries(message).find(([, value]) => value)?.[0] ?? "(empty)";
}

// -- the operations ---------------------------------------------------------------------

async function main() {
  report("runtime", true, `node ${process.version}, WebSocket: ${websocketImpl}`);
  const notes = openNotifier();
  await sleep(300); // auth + subscribe

  const ROOM_TYPES = ["conference", "audio_only", "livestream", "full_feature", "broadcaster", "audio_only_livestream"];
  for (const roomType of ROOM_TYPES) {
    await step(`rooms.create.${roomType}`, async () => {
      const room = await client.createRoom({ roomType });
      check(room.config.roomType === roomType, `roomType ${room.config.roomType}`);
      await client.deleteRoom(room.id);
      return room.id;
    });
  }

  let room;
  await step("rooms.create.with_options", async () => {
    room = await client.createRoom({ maxPeers: 10, videoCodec: "vp8", public: true });
    const { maxPeers, videoCodec, public: isPublic } = room.config;
    check(maxPeers === 10 && videoCodec === "vp8" && isPublic === true, JSON.stringify(room.config));
    return JSON.stringify(room.config);
  });

  await step("rooms.get", async () => {
    const got = await client.getRoom(room.id);
    check(got.id === room.id && Array.isArray(got.peers), JSON.stringify(got));
    return got.id;
  });

  await step("rooms.list", async () => {
    const rooms = await client.getAllRooms();
    check(rooms.some((r) => r.id === room.id), "the room is not listed");
    return `${rooms.length} rooms`;
  });

  let webrtc;
  await step("peers.create.webrtc_with_metadata", async () => {
    webrtc = await client.createPeer(room.id, { metadata: { name: "Ada" }, subscribeMode: "manual" });
    const { peer, peerToken } = webrtc;
    check(typeof peerToken === "string" && peerToken.length > 0, "no token");
    check(peer.type === "webrtc" && peer.status === "disconnected", JSON.stringify(peer));
    check(JSON.stringify(peer.metadata) === JSON.stringify({ peer: {}, server: { name: "Ada" } }), JSON.stringify(peer.metadata));
    check(peer.subscribeMode === "manual", peer.subscribeMode);
    return JSON.stringify(peer.metadata);
  });

  await step("peers.refresh_token", async () => {
    const token = await client.refreshPeerToken(room.id, webrtc.peer.id);
    check(typeof token === "string" && token !== webrtc.peerToken, "the token did not change");
    return "new token issued";
  });

  await step("peers.delete", async () => {
    await client.deletePeer(room.id, webrtc.peer.id);
    const got = await client.getRoom(room.id);
    check(!got.peers.some((p) => p.id === webrtc.peer.id), "the peer is still in the room");
    return "deleted";
  });

  // Two agents in one room hear each other, each at its own output rate.
  let a, b;
  await step("agents.create", async () => {
    a = await connectAgent(room.id);
    b = await connectAgent(room.id, { output: { audioFormat: "pcm16", audioSampleRate: 24000 } });
    check(a.peer.type === "agent" && b.peer.type === "agent", "not agents");
    return `${a.peer.id}, ${b.peer.id}`;
  });

  let trackA, trackB;
  await step("agents.audio_both_ways", async () => {
    trackA = a.agent.createTrack(PCM16, { source: "js-a" });
    trackB = b.agent.createTrack(PCM16, { source: "js-b" });
    await sleep(100);
    a.agent.sendData(trackA.id, tone(440, 1.0));
    b.agent.sendData(trackB.id, tone(660, 1.0));
    await until(() => a.ears.bytesFrom(b.peer.id) >= 0.9 * RATE * 2 && b.ears.bytesFrom(a.peer.id) >= 0.9 * 24000 * 2, "a second of audio each way");
    const heardByA = frequencyOf(a.ears.audioFrom(b.peer.id), RATE);
    const heardByB = frequencyOf(b.ears.audioFrom(a.peer.id), 24000);
    check(Math.abs(heardByA - 660) < 20, `A heard ${heardByA.toFixed(0)} Hz, not 660`);
    check(Math.abs(heardByB - 440) < 20, `B heard ${heardByB.toFixed(0)} Hz at 24 kHz, not 440`);
    check(a.ears.peers().length === 1 && b.ears.peers().length === 1, "an agent heard itself or a stranger");
    return `A heard ${heardByA.toFixed(0)} Hz, B heard ${heardByB.toFixed(0)} Hz (chunk bytes ${[...b.ears.chunkBytes]})`;
  });

  await step("agents.pcm16_48k_track", async () => {
    const c = await connectAgent(room.id);
    const track48 = c.agent.createTrack({ encoding: "pcm16", sampleRate: 48000, channels: 1 });
    await sleep(100);
    c.agent.sendData(track48.id, tone(550, 0.5, 48000));
    await until(() => a.ears.bytesFrom(c.peer.id) >= 0.45 * RATE * 2, "half a second at 16 kHz");
    const heard = frequencyOf(a.ears.audioFrom(c.peer.id), RATE);
    check(Math.abs(heard - 550) < 20, `A heard ${heard.toFixed(0)} Hz, not 550`);
    c.agent.disconnect();
    return `a 48 kHz track heard at 16 kHz as ${heard.toFixed(0)} Hz`;
  });

  // The sandbox decodes no Opus: the agent's socket is closed with a reason it can show.
  await step("agents.opus_track_refused", async () => {
    const c = await connectAgent(room.id);
    c.agent.createTrack({ encoding: "opus", sampleRate: 48000, channels: 1 });
    await until(() => c.closes.length > 0, "the close");
    check(/PCM16/.test(c.closes[0].reason), JSON.stringify(c.closes[0]));
    return JSON.stringify(c.closes[0]);
  });

  await step("agents.interrupt", async () => {
    const before = b.ears.bytesFrom(a.peer.id);
    a.agent.sendData(trackA.id, tone(440, 5.0));
    await sleep(500);
    a.agent.interruptTrack(trackA.id);
    await sleep(1000);
    const heardS = (b.ears.bytesFrom(a.peer.id) - before) / 2 / 24000;
    check(heardS < 1.5, `B heard ${heardS.toFixed(2)} s of the 5 s after the interrupt`);
    a.agent.sendData(trackA.id, tone(440, 0.2));
    const after = b.ears.bytesFrom(a.peer.id);
    await until(() => b.ears.bytesFrom(a.peer.id) > after, "audio sent after the interrupt");
    return `B heard ${heardS.toFixed(2)} s of 5 s; audio after the interrupt plays`;
  });

  // Manual subscriptions: nothing until subscribed, then only what was chosen.
  await step("subscriptions.subscribe_peer", async () => {
    const c = await connectAgent(room.id, { subscribeMode: "manual" });
    a.agent.sendData(trackA.id, tone(440, 0.3));
    await sleep(500);
    check(c.ears.peers().length === 0, "a manual agent heard audio before subscribing");
    await client.subscribePeer(room.id, c.peer.id, a.peer.id);
    a.agent.sendData(trackA.id, tone(440, 0.3));
    await until(() => c.ears.bytesFrom(a.peer.id) > 0, "audio after subscribe_peer");
    c.agent.disconnect();
    return "silent before, hears the peer after";
  });

  await step("subscriptions.subscribe_tracks", async () => {
    const d = await connectAgent(room.id, { subscribeMode: "manual" });
    await client.subscribeTracks(room.id, d.peer.id, [trackB.id]);
    a.agent.sendData(trackA.id, tone(440, 0.3));
    b.agent.sendData(trackB.id, tone(660, 0.3));
    await until(() => d.ears.bytesFrom(b.peer.id) >= 0.25 * RATE * 2, "the subscribed track");
    await sleep(200);
    check(d.ears.bytesFrom(a.peer.id) === 0, "heard a track it was not subscribed to");
    d.agent.disconnect();
    return "hears only the chosen track";
  });

  await step("agents.delete_track", async () => {
    b.agent.deleteTrack(trackB.id);
    await until(() => notes.seen.some((n) => n.kind === "trackRemoved" && n.message.track?.id === trackB.id), "TrackRemoved");
    return "TrackRemoved seen";
  });

  await step("notifier.events_in_order", async () => {
    a.agent.disconnect();
    b.agent.disconnect();
    await client.deleteRoom(room.id);
    await until(() => notes.kindsFor(room.id).includes("roomDeleted"), "RoomDeleted");
    const kinds = notes.kindsFor(room.id);
    const expected = ["roomCreated", "peerAdded", "peerDeleted", "peerConnected", "peerMetadataUpdated", "trackAdded", "trackRemoved", "peerDisconnected", "roomDeleted"];
    for (const kind of expected) check(kinds.includes(kind), `no ${kind} in ${kinds}`);
    check(kinds[0] === "roomCreated" && kinds[kinds.length - 1] === "roomDeleted", kinds.join(","));
    return kinds.join(",");
  });

  await step("notifier.bad_token", async () => {
    const wrong = openNotifier("not-the-token");
    await until(() => wrong.closes.length > 0, "the close");
    check(wrong.closes[0].reason === "invalid token", JSON.stringify(wrong.closes[0]));
    return JSON.stringify(wrong.closes[0]);
  });

  await step("livestream.viewer_and_streamer_tokens", async () => {
    const live = await client.createRoom({ roomType: "livestream" });
    const viewer = await client.createLivestreamViewerToken(live.id);
    const streamer = await client.createLivestreamStreamerToken(live.id);
    check(typeof viewer.token === "string" && typeof streamer.token === "string", "no tokens");
    await client.deleteRoom(live.id);
    return "viewer and streamer tokens issued";
  });

  await step("errors.400_livestream_token_for_a_conference_room", async () => {
    const conference = await client.createRoom();
    const detail = await rejects(client.createLivestreamViewerToken(conference.id), BadRequestException, 400);
    await client.deleteRoom(conference.id);
    return detail;
  });

  await step("errors.400_bad_room_config", async () =>
    rejects(client.createRoom({ maxPeers: -1 }), BadRequestException, 400));

  await step("errors.401_wrong_token", async () => {
    const stranger = new FishjamClient({ fishjamId, managementToken: "not-the-token" });
    return rejects(stranger.getAllRooms(), UnauthorizedException, 401);
  });

  await step("errors.404_room", async () => rejects(client.getRoom("no-such-room"), RoomNotFoundException, 404));

  await step("errors.404_peer", async () => {
    const other = await client.createRoom();
    const detail = await rejects(client.deletePeer(other.id, "no-such-peer"), PeerNotFoundException, 404);
    await client.deleteRoom(other.id);
    return detail;
  });

  // The SDK has no class of its own for 409; it reports UnknownException with the status.
  await step("errors.409_room_full", async () => {
    const small = await client.createRoom({ maxPeers: 1 });
    await client.createPeer(small.id);
    const detail = await rejects(client.createPeer(small.id), UnknownException, 409);
    await client.deleteRoom(small.id);
    return detail;
  });

  // SDK 0.25.0 predates batched webhooks (no batchWebhookNotifications, no NotificationBatch
  // in its protobuf), so deliveries are checked one notification per request.
  await step("webhooks.signed_and_in_order", async () => {
      const receiver = await startWebhookReceiver();
      try {
        const hooked = await client.createRoom({ webhookUrl: receiver.url });
        const { agent } = await client.createAgent(hooked.id);
        agent.createTrack(PCM16);
        await until(() => notes.kindsFor(hooked.id).includes("trackAdded"), "TrackAdded");
        agent.disconnect();
        await client.deleteRoom(hooked.id);
        const received = () => receiver.deliveries.map((d) => kindInWebhook(d.body));
        await until(() => received().includes("roomDeleted"), "RoomDeleted at the webhook");
        check(receiver.deliveries.every((d) => signatureIsValid(d.body, d.signature, webhookSecret)), "a delivery failed signature verification");
        check(!receiver.deliveries.some((d) => signatureIsValid(d.body, d.signature, "another secret")), "a signature verified with the wrong secret");
        check(receiver.deliveries.every((d) => d.contentType === "application/x-protobuf"), "content type");
        const viaNotifier = notes.kindsFor(hooked.id);
        check(JSON.stringify(received()) === JSON.stringify(viaNotifier), `webhook ${received()} vs notifier ${viaNotifier}`);
        return `${receiver.deliveries.length} signed deliveries: ${received()}`;
      } finally {
        receiver.server.close();
      }
  });

  notes.notifier.client.close();
}

main()
  .catch((error) => report("fatal", false, error?.stack ?? error))
  .finally(() => setTimeout(() => process.exit(0), 100));
