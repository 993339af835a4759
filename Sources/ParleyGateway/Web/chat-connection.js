// One WebSocket to the gateway, reopened with backoff after a close nobody asked for. The name
// the user chose is sent again on every reopen, so a reconnect puts them back in the room.

/** The gateway's WebSocket URL for a page served by that gateway: wss:// under https. */
export function gatewayURL(location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

/** 0.5 s, 1 s, 2 s … up to 15 s, each ±20 % so that a restarted server is not hit all at once. */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(15000, 500 * 2 ** attempt);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * Events: "state" (detail: { state: "offline" | "connecting" | "online", retryInMs? }),
 * "message" (detail: the parsed JSON event), "invalid" (detail: the raw frame text).
 */
export class ChatConnection extends EventTarget {
  #url;
  #socket = null;
  #wanted = false;
  #attempt = 0;
  #retryTimer = null;
  #name = null;
  #state = "offline";

  constructor(url) {
    super();
    this.#url = url;
  }

  get state() { return this.#state; }
  get isOpen() { return this.#socket?.readyState === WebSocket.OPEN; }
  /** The name sent after every (re)connect; null before the user chose one. */
  get name() { return this.#name; }

  connect() {
    this.#wanted = true;
    if (!this.#socket) this.#open();
  }

  disconnect() {
    this.#wanted = false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#socket?.close(1000, "bye");
    this.#setState("offline");
  }

  /** Remembers the name and sends it now if the socket is open (else on open). */
  setName(name) {
    this.#name = name;
    return this.isOpen ? this.send({ action: "setName", name }) : false;
  }

  /** The name to send on reconnect after the server refused a new one. */
  restoreName(name) { this.#name = name; }

  /** Sends one frame; false when the socket is not open (the caller keeps the text). */
  send(frame) {
    if (!this.isOpen) return false;
    this.#socket.send(JSON.stringify(frame));
    return true;
  }

  #open() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#setState("connecting");
    const socket = new WebSocket(this.#url);
    this.#socket = socket;
    socket.addEventListener("open", () => {
      this.#attempt = 0;
      this.#setState("online");
      if (this.#name) socket.send(JSON.stringify({ action: "setName", name: this.#name }));
    });
    socket.addEventListener("message", (event) => this.#receive(event.data));
    socket.addEventListener("close", () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (!this.#wanted) return this.#setState("offline");
      const delay = backoffDelay(this.#attempt++);
      this.#setState("offline", delay);
      this.#retryTimer = setTimeout(() => this.#open(), delay);
    });
  }

  #receive(text) {
    let event;
    try {
      event = JSON.parse(text);
    } catch {
      this.dispatchEvent(new CustomEvent("invalid", { detail: text }));
      return;
    }
    this.dispatchEvent(new CustomEvent("message", { detail: event }));
  }

  #setState(state, retryInMs) {
    this.#state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, retryInMs } }));
  }
}
