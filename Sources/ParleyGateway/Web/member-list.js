// The member list: a button per other member (choose one to message privately), yourself as text.

export class MemberList {
  #list;
  #count;
  #onChoose;
  #members = [];

  constructor(list, count, onChoose) {
    this.#list = list;
    this.#count = count;
    this.#onChoose = onChoose;
  }

  get members() { return this.#members; }

  includes(name) { return this.#members.includes(name); }

  render(members, { me = null, chosen = null } = {}) {
    this.#members = members;
    this.#count.textContent = `(${members.length})`;
    const items = members.map((name) => {
      const item = document.createElement("li");
      if (name === me) {
        const self = document.createElement("span");
        self.className = "me";
        self.textContent = `${name} (you)`;
        item.append(self);
      } else {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = name;
        button.setAttribute("aria-pressed", String(name === chosen));
        button.addEventListener("click", () => this.#onChoose(name));
        item.append(button);
      }
      return item;
    });
    this.#list.replaceChildren(...items);
  }
}
