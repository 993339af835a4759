"""What a person does on the chat page, for the browser tests: open it and join under a name,
read the log, send a message; join a room and read its log."""

from playwright.sync_api import expect


def join(session, server, name, fragment=""):
    page = session.page
    page.goto(server.url + fragment)
    expect(page.locator("#status-text")).to_have_text("Connected")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.locator("#identity")).to_have_text(f"You are {name}.")


def log_entries(session):
    return session.page.locator("#log li")


def send(session, text):
    session.page.get_by_placeholder("Type a message and press Enter").fill(text)
    session.page.get_by_placeholder("Type a message and press Enter").press("Enter")


def join_room(session, room):
    session.page.get_by_label("Room name").fill(room)
    session.page.get_by_role("button", name="Join room").click()


def room_entries(session, room):
    return session.page.locator(f'#logs ol[data-room="{room}"] li')


def room_button(session, room):
    return session.page.locator(f'#rooms li[data-room="{room}"] button.room')
