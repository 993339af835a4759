// The message log: every kind of event in arrival order, with its time. User text only ever
// goes through textContent, never innerHTML, so a name or message is shown, not run.

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

export class ChatLog {
  #list;
  #limit;

  /** Keeps at most `limit` entries in the DOM, so thousands of messages stay fast to scroll. */
  constructor(list, { limit = 500 } = {}) {
    this.#list = list;
    this.#limit = limit;
  }

  get size() { return this.#list.children.length; }

  /**
   * kind: "public" | "private" | "system" | "error"; tag: a label such as "private from bob";
   * from: the speaker's name (bold), text: the message; time: a Date (default now).
   */
  add({ kind, tag = null, from = null, text, time = new Date() }) {
    const list = this.#list;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;

    const entry = document.createElement("li");
    entry.className = `entry ${kind}`;
    const stamp = document.createElement("time");
    stamp.dateTime = time.toISOString();
    stamp.textContent = timeFormat.format(time);
    const body = document.createElement("span");
    body.className = "body";
    if (tag) body.append(span("tag", tag));
    if (from) body.append(span("from", from), ": ");
    body.append(text);
    entry.append(stamp, body);
    list.append(entry);

    while (list.children.length > this.#limit) list.firstElementChild.remove();
    // Follow new messages only when the reader is already at the end.
    if (atBottom) list.scrollTop = list.scrollHeight;
    return entry;
  }
}

function span(className, text) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}
