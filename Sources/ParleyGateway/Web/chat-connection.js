// One WebSocket to the gateway, reopened with backoff after a close nobody asked for. The name
// the user chose is sent again on every reopen, so a reconnect puts them back in the room; and
// the socket is opened with where the page stopped (?since=SEQ&epoch=E), so the gateway replays
// what was missed meanwhile (docs/PROTOCOL.md, "Resume"). Every other room the page is in is
// joined again after the name, each with where the page stopped in that room.

/** The gateway's WebSocket URL for a page served by that gateway: wss:// under https. */
export function gatewayURL(location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

/** The URL to open: where the page stopped, or (first visit, or after a failed resume) latest. */
export function resumeURL(base, lastSeq, epoch) {
  return epoch && lastSeq !== null
    ? `${base}?since=${lastSeq}&epoch=${encodeURIComponent(epoch)}`
    : `${base}?since=latest`;
}

/** 0.5 s, 1 s, 2 s … up to 15 s, each ±20 % so that a restarted server is not hit all at once. */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(15000, 500 * 2 ** attempt);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * Events: "state" (detail: { state: "offline" | "connecting" | "online", retryInMs? }),
 * "message" (detail: the parsed JSON event), "invalid" (detail: the raw frame text),
 * "unopened" (a socket closed before it ever opened: the server is down, or refused the
 * upgrade, a refused token say; a browser cannot tell which), "expired" (closed with 4001).
 */
export class ChatConnection extends EventTarget {
  #url;
  #socket = null;
  #wanted = false;
  #attempt = 0;
  #retryTimer = null;
  #name = null;
  #state = "offline";
  /** The last public seq shown and the history it belongs to (from the resume markers). */
  #lastSeq = null;
  #epoch = null;
  /** The named rooms this page is in → { lastSeq, epoch } in each. */
  #rooms = new Map();

  /** `protocols`: the subprotocols each socket offers (a token rides there), asked per open. */
  #protocols;

  constructor(url, { protocols = () => undefined } = {}) {
    super();
    this.#url = url;
    this.#protocols = protocols;
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

  /** Joins a room now (or on open), asking for whatever history it holds; false if already in it. */
  joinRoom(room) {
    if (this.#rooms.has(room)) return false;
    this.#rooms.set(room, { lastSeq: null, epoch: null });
    if (this.isOpen && this.#name) this.send(this.#joinFrame(room));
    return true;
  }

  /** Leaves a room (a refused join too: then only forgets it). */
  leaveRoom(room, { tellServer = true } = {}) {
    if (!this.#rooms.delete(room)) return;
    if (tellServer) this.send({ action: "leave", room });
  }

  /** A join that resumes where the page stopped in `room`, or takes the room's history. */
  #joinFrame(room) {
    const { lastSeq, epoch } = this.#rooms.get(room);
    return epoch && lastSeq !== null ? { action: "join", room, since: lastSeq, epoch } : { action: "join", room, since: 0 };
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
    const socket = new WebSocket(resumeURL(this.#url, this.#lastSeq, this.#epoch), this.#protocols());
    this.#socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      this.#attempt = 0;
      this.#setState("online");
      if (this.#name) {
        socket.send(JSON.stringify({ action: "setName", name: this.#name }));
        for (const room of this.#rooms.keys()) socket.send(JSON.stringify(this.#joinFrame(room)));
      }
    });
    socket.addEventListener("message", (event) => this.#receive(event.data));
    socket.addEventListener("close", (close) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (!opened) this.dispatchEvent(new CustomEvent("unopened"));
      if (close.code === 4001) this.dispatchEvent(new CustomEvent("expired"));
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
    if (!this.#track(event)) return;
    this.dispatchEvent(new CustomEvent("message", { detail: event }));
  }

  /** Follows seq and epoch per room; false for a public message already shown (never twice). */
  #track(event) {
    const named = typeof event.room === "string";
    const place = named ? this.#rooms.get(event.room) : { lastSeq: this.#lastSeq, epoch: this.#epoch };
    if (!place) return !(event.publicMessage !== undefined);  // a room left meanwhile: its messages are not shown
    if (event.publicMessage !== undefined && typeof event.seq === "number") {
      if (place.lastSeq !== null && event.seq <= place.lastSeq) return false;
      place.lastSeq = event.seq;
    } else if (event.resumed && typeof event.resumed.epoch === "string") {
      place.epoch = event.resumed.epoch;
      if (place.lastSeq === null && typeof event.resumed.to === "number") place.lastSeq = event.resumed.to;
    } else if (event.resumeFailed && typeof event.resumeFailed.epoch === "string") {
      // Another history (a restart) or one that no longer reaches back: start again from here.
      place.epoch = event.resumeFailed.epoch || null;
      place.lastSeq = null;
    }
    if (!named) {
      this.#lastSeq = place.lastSeq;
      this.#epoch = place.epoch;
    }
    return true;
  }

  #setState(state, retryInMs) {
    this.#state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, retryInMs } }));
  }
}
