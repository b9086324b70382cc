// Lazy attribute views. By default `input.attributes` is a Proxy inside QuickJS that asks the host for a keyword's
// value when it is first read, instead of 60 properties built for every call (host encoding plus decoding in the
// sandbox cost more than the rest of a call). The host learns which names each handler reads and passes those in
// with the next events (prefetched), so a handler settled on its few attributes makes no host calls at all.
// Enumerating, writing or deleting turns the view into the plain object the eager view would have been (same
// keys, order and values; read values keep their identity), after which every operation is native. A view still
// reachable when its call ends (kept in a global, returned, captured) is filled then, while its event's data is
// at hand: a handler never reads another event's data, and a kept view reads exactly what an eager one would.
// A fill during the view's own call tells the host, which then gives that handler eager views for a while.
// The host side: Learned (here), the prefetched payload (input-view.ts) and Plugin's attribute source.

/** Names one handler gets prefetched, at most (the rest are asked for when read). */
export const MAX_LEARNED = 32;
/** Longest name learned (DICOM keywords are shorter). */
const MAX_NAME = 64;

/** What a handler has read: names in first-read order, as an input selection and the payload's cache key. */
export interface Learned {
  names: string[];
  selection: { prefetch: readonly string[] };
  key: string;
}

/** Nothing read yet: nothing prefetched. */
export function newLearned(): Learned {
  const names: string[] = [];
  return { names, selection: { prefetch: names }, key: "p:" };
}

/** Records that a handler read `name` (bounded); true when the set changed. */
export function learn(learned: Learned, name: string): boolean {
  if (learned.names.length >= MAX_LEARNED || name.length > MAX_NAME || learned.names.includes(name)) return false;
  learned.names.push(name);
  learned.key = "p:" + learned.names.join("\u0000");
  return true;
}

/**
 * QuickJS source defining lazyAttributes(prefetched, serial) and settle() inside the bootstrap's closure (it uses
 * `attr`, the host's attribute function: attr(name) is a value or undefined, attr() the whole eager view, both of
 * the running call's event only; and `running`, the serial of the running call). Traps live on a shared
 * prototype; each view's handler object holds its known values (p: name → value, undefined for absent; null
 * prototype), target (t) and call serial (s). Filling shadows every trap with undefined: the Proxy then forwards
 * natively to the filled target.
 */
export const LAZY_ATTRIBUTES_SOURCE = String.raw`
  const reflect = { get: Reflect.get, has: Reflect.has, ownKeys: Reflect.ownKeys, gopd: Reflect.getOwnPropertyDescriptor,
    define: Reflect.defineProperty, del: Reflect.deleteProperty, set: Reflect.set, prevent: Reflect.preventExtensions };
  const createObject = Object.create;
  const setPrototypeOf = Object.setPrototypeOf;
  const assign = Object.assign;
  const WeakRefClass = typeof WeakRef === "function" ? WeakRef : undefined;
  const TRAP_NAMES = ["get", "has", "ownKeys", "getOwnPropertyDescriptor", "defineProperty", "deleteProperty", "set", "preventExtensions"];
  // Of the running call: [view handler or local getter, WeakRef of the view or input (itself without WeakRef)]...
  const openViews = [];

  // A name not passed in: asked of the host during the view's own call (and remembered).
  function ask(h, k) {
    if (h.s !== running) throw new TypeError("input.attributes can only be read during the call it was passed to");
    const v = attr(k);
    h.p[k] = v;
    return v;
  }

  // Turns the view into the eager object: every attribute set on the target in order (read objects reused).
  function fill(h) {
    if (h.t === undefined) return;
    if (h.s !== running) throw new TypeError("input.attributes can only be read during the call it was passed to");
    const all = attr();
    if (typeof all !== "object" || all === null) throw new Error("the event's attributes are no longer available");
    const p = h.p;
    for (const k in p) if (typeof p[k] === "object" && p[k] !== null && k in all) all[k] = p[k];
    const target = h.t;
    h.t = h.p = undefined;
    for (let i = 0; i < TRAP_NAMES.length; i++) h[TRAP_NAMES[i]] = undefined;
    assign(target, all);
    host("filled");
  }

  // No prototype: traps are only these (none a plugin adds to Object.prototype).
  const TRAPS = {
    __proto__: null,
    get(target, k, receiver) {
      if (typeof k === "string") {
        const p = this.p;
        const v = k in p ? p[k] : ask(this, k);
        if (v !== undefined) return v;
      }
      return reflect.get(target, k, receiver);
    },
    has(target, k) {
      if (typeof k === "string" && (k in this.p ? this.p[k] : ask(this, k)) !== undefined) return true;
      return reflect.has(target, k);
    },
    ownKeys(target) {
      fill(this);
      return reflect.ownKeys(target);
    },
    // hasOwnProperty and Object.hasOwn ask this: answered without filling (the view's target is extensible).
    getOwnPropertyDescriptor(target, k) {
      if (typeof k === "string") {
        const v = k in this.p ? this.p[k] : ask(this, k);
        if (v !== undefined) return { value: v, writable: true, enumerable: true, configurable: true };
      }
      return reflect.gopd(target, k);
    },
    defineProperty(target, k, d) {
      fill(this);
      return reflect.define(target, k, d);
    },
    deleteProperty(target, k) {
      fill(this);
      return reflect.del(target, k);
    },
    set(target, k, value, receiver) {
      fill(this);
      return reflect.set(target, k, value, receiver);
    },
    preventExtensions(target) {
      fill(this);
      return reflect.prevent(target);
    },
  };

  function lazyAttributes(prefetched, serial) {
    const p = setPrototypeOf(prefetched, null);
    const h = createObject(TRAPS);
    h.p = p;
    h.s = serial;
    h.t = {};
    const view = new Proxy(h.t, h);
    openViews.push(h, WeakRefClass ? new WeakRefClass(view) : view);
    return view;
  }

  // At the end of a call: views (and local getters) still reachable are settled now, while the event is at hand.
  function settle() {
    try {
      for (let i = 0; i < openViews.length; i += 2) {
        const entry = openViews[i];
        if (WeakRefClass && openViews[i + 1].deref() === undefined) continue;
        if (typeof entry === "function") entry();
        else fill(entry);
      }
    } finally {
      openViews.length = 0;
    }
  }
`;
