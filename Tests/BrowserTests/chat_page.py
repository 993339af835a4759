"""What a person does on the chat page, for the browser tests: open it and join under a name,
read the log, send a message."""

from playwright.sync_api import expect


def join(session, server, name):
    page = session.page
    page.goto(server.url)
    expect(page.locator("#status-text")).to_have_text("Connected")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#identity")).to_have_text(f"You are {name}.")


def log_entries(session):
    return session.page.locator("#log li")


def send(session, text):
    session.page.get_by_placeholder("Type a message and press Enter").fill(text)
    session.page.get_by_placeholder("Type a message and press Enter").press("Enter")
