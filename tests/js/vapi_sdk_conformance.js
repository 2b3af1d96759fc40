// Drives a running VoicePanel sandbox's /vapi with VAPI's official JavaScript server SDK
// (@vapi-ai/server-sdk) and prints one JSON line per operation:
//   {"op": "calls.create.assistant_id", "ok": true, "detail": "..."}
// Environment: VAPI_URL (the sandbox's VAPI base URL, e.g. http://127.0.0.1:PORT/vapi),
// VAPI_KEY (its API key). Run by tests/sandbox/test_vapi_js_sdk.py; it asserts on every line.
"use strict";

const { VapiClient, VapiError } = require("@vapi-ai/server-sdk");
const { check, report, step } = require("./reporting.js");

const baseUrl = process.env.VAPI_URL;
const token = process.env.VAPI_KEY;
const ECHO = "682a7be9-f7e5-53d9-9f87-f0193fd11264";
const GREETER = "4a407f47-b12b-5007-bb90-5609f4ff5903";
const TRANSPORT = {
  provider: "vapi.websocket",
  audioFormat: { format: "pcm_s16le", container: "raw", sampleRate: 16000 },
};

const client = new VapiClient({ token, baseUrl, maxRetries: 0 });

async function refusal(promise) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof VapiError) return error;
    throw error;
  }
  throw new Error("the call was not refused");
}

async function main() {
  let echoCall;
  let inlineCall;

  await step("assistants.list", async () => {
    const assistants = await client.assistants.list({ limit: 10 });
    const names = assistants.map((a) => a.name).sort();
    check(names.includes("Echo") && names.includes("Greeter"), `got ${names}`);
    check((await client.assistants.list({ limit: 1 })).length === 1, "limit ignored");
    return names.join(", ");
  });

  await step("assistants.get", async () => {
    const greeter = await client.assistants.get({ id: GREETER });
    check(greeter.id === GREETER && greeter.firstMessage, JSON.stringify(greeter));
    return greeter.firstMessage;
  });

  await step("calls.create.assistant_id", async () => {
    echoCall = await client.calls.create({ assistantId: ECHO, transport: TRANSPORT, name: "JS echo" });
    check(echoCall.status === "queued" && echoCall.type === "vapi.websocketCall", echoCall.status);
    check(echoCall.transport.websocketCallUrl.startsWith("ws://"), "no websocketCallUrl");
    check(echoCall.monitor.controlUrl && echoCall.monitor.listenUrl, "no monitor URLs");
    return echoCall.id;
  });

  await step("calls.create.inline_assistant", async () => {
    const assistant = {
      name: "JS inline",
      firstMessage: "Hello from JavaScript.",
      model: { provider: "openai", model: "gpt-4o-mini" },
      voice: { provider: "vapi", voiceId: "Elliot" },
    };
    inlineCall = await client.calls.create({ assistant, transport: TRANSPORT });
    check(inlineCall.assistant.name === "JS inline", JSON.stringify(inlineCall.assistant));
    return inlineCall.id;
  });

  await step("calls.get", async () => {
    const call = await client.calls.get({ id: echoCall.id });
    check(call.id === echoCall.id && call.name === "JS echo", JSON.stringify(call));
    return call.status;
  });

  await step("calls.list", async () => {
    const all = await client.calls.list();
    check(all[0].id === inlineCall.id && all[1].id === echoCall.id, "not newest first");
    const echoes = await client.calls.list({ assistantId: ECHO });
    check(echoes.length === 1 && echoes[0].id === echoCall.id, "assistantId filter");
    const later = await client.calls.list({ createdAtGt: echoCall.createdAt });
    check(later.length === 1 && later[0].id === inlineCall.id, "createdAtGt filter");
    check((await client.calls.list({ limit: 1 })).length === 1, "limit ignored");
    return `${all.length} calls`;
  });

  await step("calls.update", async () => {
    const renamed = await client.calls.update({ id: echoCall.id, name: "Renamed in JS" });
    check(renamed.name === "Renamed in JS", renamed.name);
    return renamed.name;
  });

  await step("calls.delete", async () => {
    const deleted = await client.calls.delete({ id: inlineCall.id });
    check(deleted.id === inlineCall.id, JSON.stringify(deleted));
    const gone = await refusal(client.calls.get({ id: inlineCall.id }));
    check(gone.statusCode === 404, gone.statusCode);
    return "deleted";
  });

  await step("errors.400_unknown_field", async () => {
    const error = await refusal(
      client.calls.create({ assistant: { colour: "red" }, transport: TRANSPORT }),
    );
    check(error.statusCode === 400, error.statusCode);
    const message = error.body.message;
    check(Array.isArray(message) && message[0] === "assistant.property colour should not exist",
      JSON.stringify(error.body));
    return message[0];
  });

  await step("errors.400_unknown_provider", async () => {
    const assistant = { model: { provider: "openia", model: "gpt-4o" } };
    const error = await refusal(client.calls.create({ assistant, transport: TRANSPORT }));
    check(error.statusCode === 400, error.statusCode);
    check(error.body.message[0].startsWith("assistant.model.provider must be one of"),
      JSON.stringify(error.body));
    return error.body.message[0];
  });

  await step("errors.401_wrong_key", async () => {
    const stranger = new VapiClient({ token: "not-the-key", baseUrl, maxRetries: 0 });
    const error = await refusal(stranger.assistants.list());
    check(error.statusCode === 401, error.statusCode);
    return error.body.message;
  });

  await step("errors.404_call", async () => {
    const error = await refusal(client.calls.get({ id: "00000000-0000-4000-8000-000000000000" }));
    check(error.statusCode === 404, error.statusCode);
    return error.body.message;
  });
}

main().catch((error) => {
  report("runtime", false, error?.stack ?? error);
  process.exitCode = 1;
});
