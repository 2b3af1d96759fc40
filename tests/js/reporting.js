// What the SDK conformance programs share: one JSON line per operation on stdout,
//   {"op": "...", "ok": true, "detail": "..."}
// for the Python test that runs the program and asserts on every line.
"use strict";

const STEP_TIMEOUT_MS = 15000;

function report(op, ok, detail) {
  process.stdout.write(JSON.stringify({ op, ok, detail: String(detail ?? "") }) + "\n");
}

// Runs one operation within STEP_TIMEOUT_MS and reports what it returned or threw.
async function step(op, fn) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
  });
  try {
    const detail = await Promise.race([fn(), timeout]);
    report(op, true, detail);
  } catch (error) {
    report(op, false, error?.stack ?? error);
  } finally {
    clearTimeout(timer);
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

module.exports = { STEP_TIMEOUT_MS, check, report, step };
