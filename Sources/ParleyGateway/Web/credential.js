// The page's token, when the server needs one (docs/PROTOCOL.md, "Identity"): taken from the
// address's fragment (#token=…, which a browser never sends to the server; removed from the
// address at once, so it is neither kept in the history nor copied with a link) or pasted by the
// user; kept for this tab (sessionStorage) for its reconnects; renewed before it runs out from
// the server's refresh URL, when one is configured. It rides in the WebSocket's subprotocol list,
// the one header a browser's WebSocket can set.

const STORAGE_KEY = "parley.token";

/** The token in a fragment like "#token=…" or "#token=…&room=R", and the fragment without it. */
export function takeTokenFromFragment(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const token = params.get("token");
  params.delete("token");
  const rest = params.toString();
  return { token: token || null, hash: rest ? `#${decodeURIComponent(rest)}` : "" };
}

/** A JWT's claims, read without verifying (the server verifies); null if it is not a JWT. */
export function claimsOf(token) {
  const parts = String(token).split(".");
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    const claims = JSON.parse(decodeURIComponent(escape(json)));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

/** Milliseconds before `exp` at which to ask for the next token: a fifth of what is left, 30 s at most, 1 s at least. */
export function refreshDelay(expSeconds, nowMs) {
  const left = expSeconds * 1000 - nowMs;
  return Math.max(1000, left - Math.min(30000, left / 5));
}

/** Events: "changed" (detail: the new token). */
export class Credential extends EventTarget {
  #token = null;
  #refreshURL = null;
  #timer = null;

  constructor({ refreshURL = null, storage = window.sessionStorage } = {}) {
    super();
    this.#refreshURL = refreshURL;
    this.storage = storage;
    this.#token = storage.getItem(STORAGE_KEY);
  }

  get token() { return this.#token; }
  get claims() { return this.#token ? claimsOf(this.#token) : null; }
  /** The name the token gives: its `name` claim, else its `sub`. */
  get name() { return this.claims?.name ?? this.claims?.sub ?? null; }

  /** The WebSocket subprotocols carrying the token (undefined without one). */
  get protocols() { return this.#token ? ["parley", `bearer.${this.#token}`] : undefined; }

  set(token) {
    this.#token = token || null;
    if (this.#token) this.storage.setItem(STORAGE_KEY, this.#token);
    else this.storage.removeItem(STORAGE_KEY);
    this.#schedule();
    this.dispatchEvent(new CustomEvent("changed", { detail: this.#token }));
  }

  forget() { this.set(null); }

  /** Asks the refresh URL for a new token before this one runs out (nothing without a URL or an exp). */
  #schedule() {
    clearTimeout(this.#timer);
    const exp = this.claims?.exp;
    if (!this.#refreshURL || typeof exp !== "number") return;
    this.#timer = setTimeout(() => this.#refresh(), refreshDelay(exp, Date.now()));
  }

  async #refresh() {
    try {
      const response = await fetch(this.#refreshURL, { credentials: "include", cache: "no-store" });
      const body = response.ok ? await response.json() : null;
      if (body && typeof body.token === "string") return this.set(body.token);
    } catch {
      // Tried again shortly: the token still has a little while.
    }
    this.#timer = setTimeout(() => this.#refresh(), 5000);
  }
}
