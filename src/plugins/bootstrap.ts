// The JavaScript evaluated in every plugin context before the plugin itself: it builds the `conduit` global
// (registration, log, lookup, table, kv, now) and the dispatchers the host calls.
// The host function it receives is captured in this closure and never reachable from plugin code.

/** File name the bootstrap runs under, so stack frames of plugin code can be told apart from it. */
export const BOOTSTRAP_FILE = "<conduit>";

/** Operations the sandbox asks of the host through its single host function. */
export type HostOp = "on" | "answer" | "log" | "lookup" | "table" | "kv.get" | "kv.set" | "kv.delete" | "local";

/**
 * Evaluates to a function taking the host function and returning { dispatch, answer, loaded }.
 * - dispatch(index, input) runs handler `index`; returns the decision as JSON text, or undefined.
 * - answer(kind, input) runs the find/worklist backend; returns its answer as JSON text.
 * - loaded() ends registration.
 */
export const BOOTSTRAP_SOURCE = String.raw`(function (host) {
  "use strict";
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const freeze = Object.freeze;
  const handlers = [];
  const backends = Object.create(null);
  let loading = true;
  let eventNow;

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

  function dispatch(index, payload) {
    const input = take(payload);
    if (input.hasLocal) Object.defineProperty(input, "local", { enumerable: true, get: () => host("local") === "1" });
    delete input.hasLocal;
    eventNow = input.now;
    try {
      const out = handlers[index](input);
      if (out === undefined || out === null) return undefined;
      if (typeof out !== "object" || Array.isArray(out)) throw new TypeError("a handler returns a decision object, null or undefined");
      if (typeof out.then === "function") throw new TypeError("handlers are synchronous: a Promise is not a decision");
      return stringify(out);
    } finally {
      eventNow = undefined;
    }
  }

  function runBackend(kind, payload) {
    const input = take(payload);
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
  Object.defineProperty(globalThis, "conduit", { value: conduit, writable: false, enumerable: false, configurable: false });
  return {
    dispatch,
    answer: runBackend,
    loaded() {
      loading = false;
    },
  };
})`;
