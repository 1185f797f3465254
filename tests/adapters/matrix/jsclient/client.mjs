// One Matrix user on Element's own stack (matrix-js-sdk + its Rust crypto), driven by the Python tests.
//
// Reads one JSON request per line on stdin, answers one line on stdout: ANSWER_MARK + {"ok": result} or {"error": text}
// (the SDK prints its own lines to stdout too).
// Requests: login {hs, user, password} (cross-signs its device, turns on "exclude insecure devices"),
// createRoom {invite, encrypted, direct}, join {room}, invite {room, user}, send {room, body}, react {room, event, key},
// pollAnswer {room, poll, answer}, timeline {room} (decrypted events, with Element's shield per event),
// stop. Keys live in memory only: every run is a new device, logged out by `stop`.
import readline from "node:readline";
import * as sdk from "matrix-js-sdk";
import { OnlySignedDevicesIsolationMode } from "matrix-js-sdk/lib/crypto-api/index.js";
import { logger } from "matrix-js-sdk/lib/logger.js";
import { LoggerLevel, Tracing } from "@matrix-org/matrix-sdk-crypto-wasm";

logger.setLevel("warn");
const ANSWER_MARK = "@@answer ";
let client = null;

async function login({ hs, user, password }) {
  const anon = sdk.createClient({ baseUrl: hs });
  const session = await anon.loginRequest({
    type: "m.login.password", identifier: { type: "m.id.user", user }, password,
  });
  client = sdk.createClient({
    baseUrl: hs, userId: session.user_id, deviceId: session.device_id, accessToken: session.access_token,
  });
  await client.initRustCrypto({ useIndexedDB: false });
  new Tracing(LoggerLevel.Warn).turnOn();
  const crypto = client.getCrypto();
  await crypto.bootstrapCrossSigning({
    authUploadDeviceSigningKeys: async (makeRequest) => {
      try {
        await makeRequest(null);
      } catch (e) {
        await makeRequest({
          type: "m.login.password", identifier: { type: "m.id.user", user: session.user_id },
          password, session: e.data?.session,
        });
      }
    },
  });
  crypto.setDeviceIsolationMode(new OnlySignedDevicesIsolationMode());
  const prepared = new Promise((resolve) => client.once(sdk.ClientEvent.Sync, (state) => resolve(state)));
  await client.startClient({ initialSyncLimit: 20 });
  await prepared;
  return { userId: session.user_id, deviceId: session.device_id, crossSigned: await crypto.isCrossSigningReady() };
}

async function waitForRoom(roomId) {
  for (let i = 0; i < 500 && !client.getRoom(roomId); i++) await new Promise((r) => setTimeout(r, 20));
  return client.getRoom(roomId);
}

async function createRoom({ invite, encrypted, direct }) {
  const initial_state = encrypted
    ? [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }] : [];
  const { room_id } = await client.createRoom({
    invite, is_direct: !!direct, initial_state, preset: direct ? "trusted_private_chat" : "private_chat",
  });
  await waitForRoom(room_id);
  return room_id;
}

async function timeline({ room }) {
  const r = await waitForRoom(room);
  const crypto = client.getCrypto();
  const events = [];
  for (const ev of r.getLiveTimeline().getEvents()) {
    await client.decryptEventIfNeeded(ev);
    const info = ev.isEncrypted() ? await crypto.getEncryptionInfoForEvent(ev) : null;
    events.push({
      event_id: ev.getId(), type: ev.getType(), sender: ev.getSender(), content: ev.getContent(),
      encrypted: ev.isEncrypted(), decryption_failed: ev.isDecryptionFailure(),
      shield: info ? info.shieldColour : null, shield_reason: info ? info.shieldReason : null,
      relation: ev.getWireContent()["m.relates_to"] ?? null,
    });
  }
  return events;
}

const handlers = {
  login,
  createRoom,
  join: async ({ room }) => { await client.joinRoom(room); await waitForRoom(room); return room; },
  invite: async ({ room, user }) => { await client.invite(room, user); return true; },
  send: async ({ room, body }) =>
    (await client.sendEvent(room, "m.room.message", { msgtype: "m.text", body })).event_id,
  react: async ({ room, event, key }) => (await client.sendEvent(room, "m.reaction", {
    "m.relates_to": { rel_type: "m.annotation", event_id: event, key },
  })).event_id,
  pollAnswer: async ({ room, poll, answer }) => (await client.sendEvent(room, "org.matrix.msc3381.poll.response", {
    "m.relates_to": { rel_type: "m.reference", event_id: poll },
    "org.matrix.msc3381.poll.response": { answers: [answer] },
  })).event_id,
  timeline,
  stop: async () => {
    if (client) { client.stopClient(); await client.logout(true).catch(() => {}); }
    setTimeout(() => process.exit(0), 10);
    return true;
  },
};

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const request = JSON.parse(line);
  let answer;
  try {
    answer = { ok: (await handlers[request.op](request)) ?? null };
  } catch (e) {
    answer = { error: `${request.op}: ${e?.message ?? e}` };
  }
  process.stdout.write(ANSWER_MARK + JSON.stringify(answer) + "\n");
}
