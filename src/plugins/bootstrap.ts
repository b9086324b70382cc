// The JavaScript evaluated in every plugin context before the plugin itself: it builds the `conduit` global
// (registration, log, lookup, table, kv, now) and the dispatchers the host calls.
// The host functions it receives are captured in this closure and never reachable from plugin code.
import { LAZY_ATTRIBUTES_SOURCE } from "./lazy-attributes.js";

/** File name the bootstrap runs under, so stack frames of plugin code can be told apart from it. */
export const BOOTSTRAP_FILE = "<conduit>";

/** Operations the sandbox asks of the host through its single host function. */
export type HostOp = "on" | "answer" | "log" | "lookup" | "table" | "kv.get" | "kv.set" | "kv.delete" | "local" | "filled";

/**
 * Evaluates to a function taking the host functions (host(op, ...texts) and attr(name?): see
 * LAZY_ATTRIBUTES_SOURCE) and returning { dispatch, json, answer, loaded }.
 * - dispatch(index, input) runs handler `index` on the input array of encodeHandlerInput; returns the decision
 *   object, or undefined.
 * - json(value) is JSON.stringify as the sandbox had it (for decisions the binary format cannot carry).
 * - answer(kind, input) runs the find/worklist backend; returns its answer as JSON text.
 * - loaded() ends registration.
 */
export const BOOTSTRAP_SOURCE = String.raw`(function (host, attr) {
  "use strict";
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const freeze = Object.freeze;
  const defineProperty = Object.defineProperty;
  const isArray = Array.isArray;
  const handlers = [];
  const backends = Object.create(null);
  let loading = true;
  let eventNow;
  // Serial of the dispatch running now (0 between calls): what lazy views and local getters check.
  let running = 0;
  let calls = 0;
${LAZY_ATTRIBUTES_SOURCE}

  // Regexes in filters travel as "/source/flags" strings.
  function filterReplacer(key, value) {
    return value instanceof RegExp ? "/" + value.source + "/" + value.flags : value;
  }

  function on(event, filter, handler) {
    if (!loading) throw new Error("conduit.on() can only be called while the plugin loads");
    if (handler === undefined && typeof filter === "function") {
      handler = filter;
      filter = undefined;
    }
    const where = new Error().stack;
    const filterJson = filter === undefined ? undefined : stringify(filter, filterReplacer);
    host("on", String(event), filterJson === undefined ? "" : filterJson, typeof handler === "function" ? String(handlers.length) : "", where);
    if (typeof handler === "function") handlers.push(handler);
  }

  function answer(kind, handler) {
    if (!loading) throw new Error("conduit.answer() can only be called while the plugin loads");
    const where = new Error().stack;
    host("answer", String(kind), typeof handler === "function" ? "fn" : "", "", where);
    if (typeof handler === "function") backends[kind] = handler;
  }

  function log(level, ...parts) {
    host("log", String(level), parts.map((p) => (typeof p === "string" ? p : stringify(p))).join(" "));
  }

  function lookup(table, key, column) {
    return host("lookup", String(table), String(key), column === undefined ? "" : String(column));
  }

  function table(file) {
    return parse(host("table", String(file)));
  }

  const kv = freeze({
    get(key) {
      const v = host("kv.get", String(key));
      return v === undefined ? undefined : parse(v);
    },
    set(key, value) {
      if (value === undefined) throw new TypeError("kv.set needs a value; use kv.delete to remove a key");
      host("kv.set", String(key), stringify(value));
    },
    delete(key) {
      return host("kv.delete", String(key)) === "1";
    },
  });

  function now() {
    return eventNow === undefined ? Date.now() : eventNow;
  }

  // The host passes the input as a decoded object, or as JSON text when the binary format is unavailable.
  function take(input) {
    return typeof input === "string" ? parse(input) : input;
  }

  // input.local asks the host once, during its own call; an input still reachable when the call ends asks then.
  function localGetter(input, serial) {
    let answer;
    const get = () => {
      if (answer === undefined) {
        if (running !== serial) throw new TypeError("input.local can only be read during the call it was passed to");
        answer = host("local") === "1";
      }
      return answer;
    };
    openViews.push(get, WeakRefClass ? new WeakRefClass(input) : input);
    return get;
  }

  // The handler's input from the host's array (encodeHandlerInput): absent values are null.
  function makeInput(p, serial) {
    const input = { event: p[0], origin: { callingAE: p[1], calledAE: p[2], peerAddress: p[3], associationId: p[4] }, now: p[5] };
    if (p[7] !== null) input.sopClassUID = p[7];
    if (p[8] !== null) input.sopInstanceUID = p[8];
    if (p[9] !== null) input.studyInstanceUID = p[9];
    if (p[10] !== null) input.modality = p[10];
    if (p[11] !== null) input.attributes = p[11];
    else if (p[12] !== null) input.attributes = lazyAttributes(p[12], serial);
    if (p[6]) defineProperty(input, "local", { enumerable: true, get: localGetter(input, serial) });
    return input;
  }

  function dispatch(index, payload) {
    const p = take(payload);
    // An interrupted call skips its finally block: what it left open is dropped (its views refuse to read).
    openViews.length = 0;
    const serial = ++calls;
    running = serial;
    eventNow = p[5];
    let input;
    try {
      input = makeInput(p, serial);
      const out = handlers[index](input);
      input = undefined;
      if (out === undefined || out === null) return undefined;
      if (typeof out !== "object" || isArray(out)) throw new TypeError("a handler returns a decision object, null or undefined");
      if (typeof out.then === "function") throw new TypeError("handlers are synchronous: a Promise is not a decision");
      return out;
    } finally {
      // Dropped first, so only what the handler kept (or returned) is still reachable.
      input = undefined;
      settle();
      eventNow = undefined;
      running = 0;
    }
  }

  function runBackend(kind, payload) {
    const input = take(payload);
    // Nothing of an interrupted handler call stays open (its finally block did not run).
    running = 0;
    openViews.length = 0;
    eventNow = input.now;
    try {
      const out = backends[kind](input);
      if (out !== null && typeof out === "object" && typeof out.then === "function") throw new TypeError("backends are synchronous: a Promise is not an answer");
      return stringify(out === undefined ? null : out);
    } finally {
      eventNow = undefined;
    }
  }

  const conduit = freeze({ on, answer, log, lookup, table, kv, now });
  defineProperty(globalThis, "conduit", { value: conduit, writable: false, enumerable: false, configurable: false });
  return {
    dispatch,
    json: (value) => stringify(value),
    answer: runBackend,
    loaded() {
      loading = false;
    },
  };
})`;
