// Wires the page to the gateway: what each server event shows, and what each control sends.
import { ChatConnection, gatewayURL } from "./chat-connection.js";
import { ChatLog } from "./chat-log.js";
import { MemberList } from "./member-list.js";

const $ = (id) => document.getElementById(id);

const connection = new ChatConnection(gatewayURL(window.location));
const log = new ChatLog($("log"));
const members = new MemberList($("members"), $("member-count"), choose);

/** The name the server accepted, and one asked for but not yet answered. */
let myName = null;
let pendingName = null;
/** Whom the next message goes to privately; null for everyone. */
let recipient = null;

// ---- server events ----

connection.addEventListener("message", ({ detail: event }) => {
  const time = typeof event.ts === "number" ? new Date(event.ts) : new Date();
  if (Array.isArray(event.members)) {
    acceptPendingName(event.members);
    members.render(event.members, { me: myName, chosen: recipient });
    if (recipient && !members.includes(recipient)) choose(null, { focus: false });
  } else if (event.publicMessage !== undefined) {
    const [from, text] = speakerAndText(event, event.publicMessage);
    log.add({ kind: "public", from, text, time });
  } else if (event.privateMessage !== undefined) {
    const [from, text] = speakerAndText(event, event.privateMessage);
    log.add({ kind: "private", tag: from ? `private from ${from}:` : "private:", text, time });
  } else if (event.systemMessage !== undefined) {
    log.add({ kind: "system", text: String(event.systemMessage), time });
  } else if (event.resumed) {
    const missed = event.resumed.to - event.resumed.from + 1;
    if (missed > 0) log.add({ kind: "system", text: `Caught up: ${missed} message${missed === 1 ? "" : "s"} sent while you were away.` });
  } else if (event.resumeFailed) {
    if (event.resumeFailed.reason !== "unavailable") {
      log.add({ kind: "system", text: "Some messages were missed while you were away: the server no longer holds them." });
    }
  } else if (event.error) {
    showError(event.error);
  }
});

connection.addEventListener("invalid", ({ detail: text }) => {
  log.add({ kind: "error", tag: "error", text: `The server sent something that is not JSON: ${text.slice(0, 200)}` });
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
    log.add({ kind: "system", text: "Connection lost; reconnecting…" });
  }
  if (state === "offline") members.render([], {});
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
  }
}

function showError(error) {
  const message = typeof error.message === "string" ? error.message : "The server refused that.";
  const code = typeof error.code === "string" ? ` (${error.code})` : "";
  log.add({ kind: "error", tag: "error:", text: message + code });
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
  const frame = recipient
    ? { action: "sendPrivate", message: text, to: recipient }
    : { action: "sendPublic", message: text };
  if (!connection.send(frame)) {
    // Nothing is lost: the text stays in the box until it can be sent.
    log.add({ kind: "error", tag: "error:", text: "Not connected — your message was not sent." });
    return;
  }
  // The server does not echo private messages to their sender: show our own copy.
  if (recipient) log.add({ kind: "private", tag: `private to ${recipient}:`, text });
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
  $("message-label").textContent = recipient ? `Private message to ${recipient}` : "Message to everyone";
  members.render(members.members, { me: myName, chosen: recipient });
  if (focus) $("message-input").focus();
}

showIdentity();
connection.connect();
