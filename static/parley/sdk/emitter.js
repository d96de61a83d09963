/** Events for the Parley SDK's objects. */

/** A small event emitter: `on(type, fn)` returns a function that unsubscribes. */
export class Emitter {
  #handlers = new Map();

  on(type, fn) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, new Set());
    this.#handlers.get(type).add(fn);
    return () => this.off(type, fn);
  }

  once(type, fn) {
    const off = this.on(type, (...args) => { off(); fn(...args); });
    return off;
  }

  off(type, fn) {
    this.#handlers.get(type)?.delete(fn);
  }

  emit(type, ...args) {
    for (const fn of [...(this.#handlers.get(type) || [])]) {
      try { fn(...args); } catch (err) { console.error(`parley: "${type}" handler failed`, err); }
    }
  }
}
