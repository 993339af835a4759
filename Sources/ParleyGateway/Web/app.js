// Wires the page to the gateway: what each server event shows, and what each control sends.
// Rooms (docs/PROTOCOL.md, "Rooms"): one log and one member list per room; an event without
// `room` is the default room's (key ""). The room in view is in the address: #room=R.
import { ChatConnection, gatewayURL } from "./chat-connection.js";
import { Credential, takeTokenFromFragment } from "./credential.js";
import { ChatLog } from "./chat-log.js";
import { MemberList } from "./member-list.js";
import { RoomList } from "./room-list.js";

const $ = (id) => document.getElementById(id);

// A token in the address is taken out of it before anything else reads the fragment.
const fromFragment = takeTokenFromFragment(window.location.hash);
if (fromFragment.token) history.replaceState(null, "", fromFragment.hash || window.location.pathname + window.location.search);
/** Whether the server needs a token (`/auth.json`), and the page's token if so. */
let authRequired = false;
let credential = null;

const connection = new ChatConnection(gatewayURL(window.location), { protocols: () => credential?.protocols });
const members = new MemberList($("members"), $("member-count"), choose);
const rooms = new RoomList($("rooms"), { onView: view, onLeave: leave });
/** Room key → its log; the default room's is the page's first (#log). */
const logs = new Map([["", new ChatLog($("log"))]]);
/** Room key → its member list as last heard. */
const memberLists = new Map();
/** Rooms asked for and not yet answered (a refused join names no room: the oldest is dropped). */
const pendingJoins = [];
/** A room the address asked for, joined once the name is accepted. */
let linkedRoom = roomInHash();

/** The name the server accepted, and one asked for but not yet answered. */
let myName = null;
let pendingName = null;
/** Whom the next message goes to privately; null for everyone. */
let recipient = null;

// ---- server events ----

connection.addEventListener("message", ({ detail: event }) => {
  const time = typeof event.ts === "number" ? new Date(event.ts) : new Date();
  const key = typeof event.room === "string" ? event.room : "";
  if (key !== "" && !rooms.has(key)) return;  // a room left meanwhile
  if (Array.isArray(event.members)) {
    if (key === "") acceptPendingName(event.members);
    else settleJoin(key);
    memberLists.set(key, event.members);
    if (key === rooms.current) showMembers();
  } else if (event.publicMessage !== undefined) {
    const [from, text] = speakerAndText(event, event.publicMessage);
    logFor(key).add({ kind: "public", from, text, time });
    rooms.arrived(key);
  } else if (event.privateMessage !== undefined) {
    // Private messages belong to no room: shown where the reader is.
    const [from, text] = speakerAndText(event, event.privateMessage);
    logFor(rooms.current).add({ kind: "private", tag: from ? `private from ${from}:` : "private:", text, time });
  } else if (event.systemMessage !== undefined) {
    logFor(key).add({ kind: "system", text: String(event.systemMessage), time });
  } else if (event.resumed) {
    if (key !== "") settleJoin(key);
    const missed = event.resumed.to - event.resumed.from + 1;
    if (missed > 0 && key === "") logFor(key).add({ kind: "system", text: `Caught up: ${missed} message${missed === 1 ? "" : "s"} sent while you were away.` });
  } else if (event.resumeFailed) {
    if (key !== "") settleJoin(key);
    if (event.resumeFailed.reason === "epoch") {
      logFor(key).add({ kind: "system", text: "Some messages were missed while you were away: the server's history started over (a restart, or a failover that lost its last messages)." });
    } else if (event.resumeFailed.reason !== "unavailable") {
      logFor(key).add({ kind: "system", text: "Some messages were missed while you were away: the server no longer holds them." });
    }
  } else if (event.tokenExpired) {
    logFor(rooms.current).add({ kind: "system", text: "Your sign-in ran out." });
  } else if (event.tokenRefreshed) {
    // Nothing to show: the session goes on.
  } else if (event.error) {
    showError(event.error);
  }
});

// ---- identity (docs/PROTOCOL.md, "Identity") ----

/** A socket that never opened while a token is needed: if the server answers, it refused the token. */
connection.addEventListener("unopened", async () => {
  if (!authRequired) return;
  try {
    const response = await fetch("/auth.json", { cache: "no-store" });
    if (!response.ok) return;
  } catch {
    return;  // the server is down: the connection keeps retrying
  }
  connection.disconnect();
  credential.forget();
  askForToken("The server refused your token: it may have run out, or it is not for this server. Paste another to join.");
});

connection.addEventListener("expired", () => {
  if (!credential?.token) askForToken("Your sign-in ran out. Paste a new token to go on.");
});

function askForToken(problem) {
  $("token-form").hidden = false;
  $("auth-problem").hidden = !problem;
  $("auth-problem").textContent = problem ?? "";
  $("token-input").focus();
}

function useToken(token) {
  credential.set(token);
  $("token-form").hidden = true;
  $("auth-problem").hidden = true;
  // The token says who this is: its name is the one to join under.
  const name = credential.name;
  if (name) $("name-input").value = name;
}

$("token-form").addEventListener("submit", (submit) => {
  submit.preventDefault();
  const token = $("token-input").value.trim();
  if (!token) return;
  $("token-input").value = "";
  useToken(token);
  connection.connect();
});

async function start() {
  try {
    const response = await fetch("/auth.json", { cache: "no-store" });
    const config = response.ok ? await response.json() : {};
    authRequired = config.required === true;
    if (authRequired) {
      credential = new Credential({ refreshURL: typeof config.refreshURL === "string" ? config.refreshURL : null });
      // A renewed token goes to the open socket at once, and to every reconnect after.
      credential.addEventListener("changed", ({ detail: token }) => {
        if (token) connection.send({ action: "refresh", token });
      });
      if (fromFragment.token) useToken(fromFragment.token);
      else if (credential.token) useToken(credential.token);
      if (!credential.token) return askForToken(null);
    }
  } catch {
    // An older server without /auth.json: no token needed.
  }
  connection.connect();
}

function logFor(key) {
  let log = logs.get(key);
  if (!log) {
    const list = document.createElement("ol");
    list.className = "log";
    list.setAttribute("role", "log");
    list.setAttribute("aria-live", "polite");
    list.tabIndex = 0;
    list.dataset.room = key;
    list.hidden = key !== rooms.current;
    $("logs").append(list);
    log = new ChatLog(list);
    logs.set(key, log);
  }
  return log;
}

function showMembers() {
  members.render(memberLists.get(rooms.current) ?? [], { me: myName, chosen: recipient });
  if (recipient && !members.includes(recipient)) choose(null, { focus: false });
}

function settleJoin(key) {
  const index = pendingJoins.indexOf(key);
  if (index >= 0) pendingJoins.splice(index, 1);
}

connection.addEventListener("invalid", ({ detail: text }) => {
  logFor(rooms.current).add({ kind: "error", tag: "error", text: `The server sent something that is not JSON: ${text.slice(0, 200)}` });
});

connection.addEventListener("state", ({ detail: { state, retryInMs } }) => {
  $("status-dot").dataset.state = state;
  $("status-text").textContent =
    state === "online" ? "Connected"
    : state === "connecting" ? "Connecting…"
    : retryInMs !== undefined ? `Disconnected — retrying in ${(retryInMs / 1000).toFixed(1)} s`
    : "Not connected";
  $("connect-toggle").textContent = state === "offline" && retryInMs === undefined ? "Connect" : "Disconnect";
  if (state === "offline" && retryInMs !== undefined) {
    logFor(rooms.current).add({ kind: "system", text: "Connection lost; reconnecting…" });
  }
  if (state === "offline") {
    memberLists.clear();
    members.render([], {});
  }
  showIdentity();
});

/** The tutorial's string form is "alice: hi"; Parley also sends from/text, which win when present. */
function speakerAndText(event, compatible) {
  if (typeof event.from === "string" && typeof event.text === "string") return [event.from, event.text];
  const text = String(compatible);
  const colon = text.indexOf(": ");
  return colon > 0 ? [text.slice(0, colon), text.slice(colon + 2)] : [null, text];
}

function acceptPendingName(list) {
  if (pendingName && list.includes(pendingName)) {
    myName = pendingName;
    pendingName = null;
    showIdentity();
    if (linkedRoom) {
      join(linkedRoom);
      linkedRoom = null;
    }
  }
}

function showError(error) {
  const message = typeof error.message === "string" ? error.message : "The server refused that.";
  const code = typeof error.code === "string" ? ` (${error.code})` : "";
  logFor(rooms.current).add({ kind: "error", tag: "error:", text: message + code });
  if (error.action === "join" && pendingJoins.length > 0) {
    // The oldest join not yet answered is the one refused: the server answers in order.
    const refused = pendingJoins.shift();
    connection.leaveRoom(refused, { tellServer: false });
    forget(refused);
  }
  if (error.action === "setName") {
    pendingName = null;
    connection.restoreName(myName);
    showIdentity(message);
    $("name-input").focus();
  }
}

function showIdentity(problem = null) {
  $("identity").textContent =
    problem ? `Name not accepted: ${problem}`
    : pendingName ? `Joining as ${pendingName}…`
    : myName ? `You are ${myName}.`
    : "Choose a name to join the chat.";
}

// ---- controls ----

$("name-form").addEventListener("submit", (submit) => {
  submit.preventDefault();
  const name = $("name-input").value.trim();
  if (!name) return;
  pendingName = name;
  connection.connect();
  connection.setName(name);
  showIdentity();
});

$("message-form").addEventListener("submit", (submit) => {
  submit.preventDefault();
  const input = $("message-input");
  const text = input.value;
  if (!text) return;
  const room = rooms.current;
  const frame = recipient
    ? { action: "sendPrivate", message: text, to: recipient }
    : room === "" ? { action: "sendPublic", message: text } : { action: "sendPublic", message: text, room };
  if (!connection.send(frame)) {
    // Nothing is lost: the text stays in the box until it can be sent.
    logFor(room).add({ kind: "error", tag: "error:", text: "Not connected — your message was not sent." });
    return;
  }
  // The server does not echo private messages to their sender: show our own copy.
  if (recipient) logFor(room).add({ kind: "private", tag: `private to ${recipient}:`, text });
  input.value = "";
});

$("connect-toggle").addEventListener("click", () => {
  if (connection.state === "offline" && $("connect-toggle").textContent === "Connect") connection.connect();
  else connection.disconnect();
});

$("recipient-clear").addEventListener("click", () => choose(null));
document.addEventListener("keydown", (key) => {
  if (key.key === "Escape" && recipient) choose(null);
});

/** Addresses the next messages to `name` privately (null: to everyone). */
function choose(name, { focus = true } = {}) {
  recipient = name === recipient ? null : name;
  $("recipient").hidden = !recipient;
  $("recipient-text").textContent = recipient ? `Private message to ${recipient}` : "";
  showComposer();
  members.render(members.members, { me: myName, chosen: recipient });
  if (focus) $("message-input").focus();
}

function showComposer() {
  const room = rooms.current;
  $("message-label").textContent =
    recipient ? `Private message to ${recipient}` : room === "" ? "Message to everyone" : `Message to ${room}`;
}

// ---- rooms ----

$("room-form").addEventListener("submit", (submit) => {
  submit.preventDefault();
  const name = $("room-input").value.trim();
  if (!name) return;
  $("room-input").value = "";
  join(name);
});

function join(name) {
  if (!myName) {
    linkedRoom = name;
    logFor(rooms.current).add({ kind: "system", text: `Choose a name first; then you join ${name}.` });
    return;
  }
  if (connection.joinRoom(name)) pendingJoins.push(name);
  rooms.add(name);
  view(name);
}

function leave(name) {
  connection.leaveRoom(name);
  forget(name);
}

function forget(name) {
  const wasCurrent = rooms.current === name;
  rooms.remove(name);
  memberLists.delete(name);
  const log = logs.get(name);
  if (log) {
    $("logs").querySelector(`ol[data-room="${CSS.escape(name)}"]`)?.remove();
    logs.delete(name);
  }
  if (wasCurrent) view("");
}

/** Puts `key`'s log and members in view, and the room in the address. */
function view(key) {
  rooms.view(key);
  for (const list of $("logs").children) list.hidden = list.dataset.room !== key;
  logFor(key);
  $("room-title").textContent = rooms.label(key);
  const hash = key === "" ? "" : `#room=${encodeURIComponent(key)}`;
  if (window.location.hash !== hash) history.replaceState(null, "", hash || window.location.pathname + window.location.search);
  showMembers();
  showComposer();
}

function roomInHash() {
  const match = /^#room=(.+)$/.exec(window.location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

window.addEventListener("hashchange", () => {
  const room = roomInHash();
  if (room && room !== rooms.current) join(room);
  else if (!room && rooms.current !== "") view("");
});

rooms.render();
showIdentity();
start();
