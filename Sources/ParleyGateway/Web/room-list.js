// The room list: the rooms this page is in, the one in view marked, each with its unread count
// and (all but the default room) a button to leave it. Names only ever go through textContent.

export class RoomList {
  #list;
  #onView;
  #onLeave;
  /** Room key ("" for the default room) → unread count, in the order the rooms were joined. */
  #rooms = new Map();
  #current = "";

  constructor(list, { onView, onLeave, defaultLabel = "lobby" }) {
    this.#list = list;
    this.#onView = onView;
    this.#onLeave = onLeave;
    this.defaultLabel = defaultLabel;
    this.#rooms.set("", 0);
  }

  get current() { return this.#current; }
  get keys() { return [...this.#rooms.keys()]; }
  has(key) { return this.#rooms.has(key); }
  label(key) { return key === "" ? this.defaultLabel : key; }

  add(key) {
    if (!this.#rooms.has(key)) this.#rooms.set(key, 0);
    this.render();
  }

  remove(key) {
    if (key === "") return;
    this.#rooms.delete(key);
    if (this.#current === key) this.#current = "";
    this.render();
  }

  /** Shows `key`; its unread count goes back to zero. */
  view(key) {
    this.#current = key;
    this.#rooms.set(key, 0);
    this.render();
  }

  /** A message arrived in `key`: counted unless it is the room in view. */
  arrived(key) {
    if (key === this.#current || !this.#rooms.has(key)) return;
    this.#rooms.set(key, this.#rooms.get(key) + 1);
    this.render();
  }

  unread(key) { return this.#rooms.get(key) ?? 0; }

  render() {
    const items = [...this.#rooms].map(([key, unread]) => {
      const item = document.createElement("li");
      item.dataset.room = key;
      const open = document.createElement("button");
      open.type = "button";
      open.className = "room";
      open.setAttribute("aria-current", String(key === this.#current));
      open.append(this.label(key));
      if (unread > 0) {
        const badge = document.createElement("span");
        badge.className = "unread";
        badge.textContent = String(unread);
        badge.setAttribute("aria-label", `${unread} unread`);
        open.append(" ", badge);
      }
      open.addEventListener("click", () => this.#onView(key));
      item.append(open);
      if (key !== "") {
        const leave = document.createElement("button");
        leave.type = "button";
        leave.className = "leave";
        leave.textContent = "×";
        leave.setAttribute("aria-label", `Leave ${key}`);
        leave.addEventListener("click", () => this.#onLeave(key));
        item.append(leave);
      }
      return item;
    });
    this.#list.replaceChildren(...items);
  }
}
