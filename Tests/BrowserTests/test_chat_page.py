"""The chat page in a real browser (Debian's Chromium, headless) against a live `parley serve`."""

import re

from playwright.sync_api import expect

from chat_page import join, log_entries, send
from conftest import free_port

expect.set_options(timeout=10_000)

XSS_NAME = "<img src=x onerror=alert(1)>"


def test_two_sessions_chat_publicly_and_privately(server, sessions):
    alice, bob = sessions("alice"), sessions("bob")
    join(alice, server, "alice")
    join(bob, server, "bob")

    # Both see each other; yourself is text, the other a button to message privately.
    for session in (alice, bob):
        expect(session.page.locator("#members li")).to_have_count(2)
    expect(alice.page.locator("#members").get_by_role("button", name="bob")).to_be_visible()
    expect(alice.page.locator("#members")).to_contain_text("alice (you)")
    expect(alice.page.locator("#log")).to_contain_text("bob has joined the chat")

    send(alice, "hello everyone")
    for session in (alice, bob):
        expect(log_entries(session).filter(has_text="hello everyone")).to_have_count(1)
        expect(log_entries(session).filter(has_text="hello everyone")).to_have_class(re.compile(r"\bpublic\b"))
        expect(log_entries(session).filter(has_text="hello everyone")).to_contain_text("alice: hello everyone")
    expect(alice.page.get_by_placeholder("Type a message and press Enter")).to_have_value("")

    # A private message: click the member, send; bob sees "private from alice", alice her own copy.
    expect(alice.page.locator("#recipient")).to_be_hidden()
    alice.page.locator("#members").get_by_role("button", name="bob").click()
    expect(alice.page.locator("#message-label")).to_have_text("Private message to bob")
    expect(alice.page.locator("#recipient")).to_be_visible()
    send(alice, "just for you")
    expect(log_entries(bob).filter(has_text="just for you")).to_have_text(re.compile(r"private from alice:\s*just for you"))
    expect(log_entries(bob).filter(has_text="just for you")).to_have_class(re.compile(r"\bprivate\b"))
    expect(log_entries(alice).filter(has_text="just for you")).to_have_text(re.compile(r"private to bob:\s*just for you"))
    # Back to everyone with Escape; a later public message proves the private one was delivered
    # in order and never reached anyone else's log as public.
    alice.page.keyboard.press("Escape")
    expect(alice.page.locator("#message-label")).to_have_text("Message to everyone")
    expect(alice.page.locator("#recipient")).to_be_hidden()
    send(alice, "public again")
    expect(log_entries(bob).filter(has_text="public again")).to_have_count(1)
    expect(log_entries(alice).filter(has_text="just for you")).to_have_count(1)

    # Entries carry a time.
    expect(log_entries(bob).first.locator("time")).to_have_text(re.compile(r"\d{1,2}:\d{2}:\d{2}"))

    alice.screenshot("alice")
    bob.screenshot("bob")

    # Closing one session: the other sees the leave and the member list shrink.
    alice.close()
    expect(bob.page.locator("#log")).to_contain_text("alice has left the chat")
    expect(bob.page.locator("#members li")).to_have_count(1)
    assert bob.console_errors == [] and alice.console_errors == []


def test_a_name_made_of_markup_is_shown_as_text_and_never_runs(server, sessions):
    mallory, carol = sessions("mallory"), sessions("carol")
    join(carol, server, "carol")
    join(mallory, server, XSS_NAME)
    send(mallory, "<b>bold?</b><script>alert(2)</script>")

    expect(carol.page.locator("#members")).to_contain_text(XSS_NAME)
    expect(carol.page.locator("#log")).to_contain_text(f"{XSS_NAME} has joined the chat")
    expect(carol.page.locator("#log")).to_contain_text("<b>bold?</b><script>alert(2)</script>")
    for session in (carol, mallory):
        assert session.page.locator("#log img, #members img, #log b, #log script").count() == 0
        assert session.dialogs == []
        assert session.console_errors == []
    carol.screenshot("markup-name")


def test_a_taken_name_is_refused_and_shown(server, sessions):
    first, second = sessions("first"), sessions("second")
    join(first, server, "dana")
    second.page.goto(server.url)
    expect(second.page.locator("#status-text")).to_have_text("Connected")
    second.page.get_by_label("Your name").fill("DANA")
    second.page.get_by_role("button", name="Join", exact=True).click()
    expect(second.page.locator("#identity")).to_contain_text("Name not accepted")
    expect(log_entries(second).filter(has_text="name_taken")).to_have_count(1)
    # Still usable: another name is accepted.
    second.page.get_by_label("Your name").fill("dana2")
    second.page.get_by_role("button", name="Join", exact=True).click()
    expect(second.page.locator("#identity")).to_have_text("You are dana2.")
    second.screenshot("name-taken")


def test_reconnects_after_the_server_restarts_and_sends_the_name_again(server, sessions):
    erin = sessions("erin")
    join(erin, server, "erin")
    server.stop()  # SIGTERM: the gateway closes every socket with 1001
    expect(erin.page.locator("#status-text")).to_contain_text("retrying")
    expect(erin.page.locator("#log")).to_contain_text("Connection lost")
    server.start()
    expect(erin.page.locator("#status-text")).to_have_text("Connected", timeout=20_000)
    expect(erin.page.locator("#members")).to_contain_text("erin (you)")
    # A restarted single node's history died with it (a new epoch): the page says what it cannot know.
    expect(erin.page.locator("#log")).to_contain_text("Some messages were missed while you were away")
    send(erin, "back again")
    expect(log_entries(erin).filter(has_text="back again")).to_have_count(1)


# Records the page's sockets and, while __hold is set, points new ones at a closed port: the
# page's own reconnect (with its backoff) is kept out until the test lets it back in.
HOLDABLE_SOCKETS = """(() => {
  const Real = window.WebSocket;
  window.__sockets = [];
  window.__hold = false;
  window.WebSocket = class extends Real {
    constructor(url, protocols) {
      super(window.__hold ? window.__closedURL : url, protocols);
      window.__sockets.push(this);
    }
  };
})();"""


def test_a_dropped_socket_resumes_and_the_log_continues_without_a_gap(server, sessions):
    gina, hank = sessions("gina"), sessions("hank")
    gina.page.add_init_script(HOLDABLE_SOCKETS + f"\nwindow.__closedURL = 'ws://127.0.0.1:{free_port()}/';")
    join(gina, server, "gina")
    join(hank, server, "hank")
    send(hank, "before the drop")
    expect(log_entries(gina).filter(has_text="before the drop")).to_have_count(1)
    gina.page.evaluate("() => { window.__hold = true; window.__sockets.at(-1).close(); }")
    expect(gina.page.locator("#status-text")).to_contain_text("retrying")
    for index in range(1, 4):
        send(hank, f"while gina was away {index}")
    expect(log_entries(hank).filter(has_text="while gina was away 3")).to_have_count(1)
    expect(log_entries(gina).filter(has_text="while gina was away")).to_have_count(0)
    gina.page.evaluate("() => { window.__hold = false; }")
    expect(gina.page.locator("#status-text")).to_have_text("Connected", timeout=20_000)
    expect(log_entries(gina).filter(has_text="Caught up: 3 messages")).to_have_count(1)
    for index in range(1, 4):
        expect(log_entries(gina).filter(has_text=f"while gina was away {index}")).to_have_count(1)
    send(hank, "after the drop")
    expect(log_entries(gina).filter(has_text="after the drop")).to_have_count(1)
    texts = " ".join(log_entries(gina).all_inner_texts())
    order = [texts.index(marker) for marker in ["before the drop", "away 1", "away 2", "away 3", "after the drop"]]
    assert order == sorted(order), texts
    assert log_entries(gina).filter(has_text="before the drop").count() == 1
    assert gina.console_errors == [] or all("127.0.0.1" in error for error in gina.console_errors), gina.console_errors
    gina.screenshot("resumed-after-a-dropped-socket")


def test_a_message_typed_while_offline_stays_in_the_box(server, sessions):
    frank = sessions("frank")
    join(frank, server, "frank")
    frank.page.get_by_role("button", name="Disconnect").click()
    expect(frank.page.locator("#status-text")).to_have_text("Not connected")
    send(frank, "keep me")
    expect(frank.page.locator("#log")).to_contain_text("your message was not sent")
    expect(frank.page.get_by_placeholder("Type a message and press Enter")).to_have_value("keep me")


def test_keyboard_only(server, sessions):
    gus, hal = sessions("gus"), sessions("hal")
    join(hal, server, "hal")
    page = gus.page
    page.goto(server.url)
    expect(page.locator("#status-text")).to_have_text("Connected")
    # Tab to the name field, type, Enter.
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "name-input":
            break
    assert page.evaluate("document.activeElement.id") == "name-input"
    page.keyboard.type("gus")
    page.keyboard.press("Enter")
    expect(page.locator("#identity")).to_have_text("You are gus.")
    # Tab to hal's button and choose him with Enter; the focus moves to the message box.
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "hal":
            break
    assert page.evaluate("document.activeElement.textContent") == "hal"
    # The focused control is visibly outlined.
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.locator("#message-label")).to_have_text("Private message to hal")
    assert page.evaluate("document.activeElement.id") == "message-input"
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Enter")
    expect(log_entries(hal).filter(has_text="typed without a mouse")).to_contain_text("private from gus")


def test_phone_width_long_messages_wrap_and_the_log_stays_bounded(server, sessions):
    ivy = sessions("ivy", viewport={"width": 375, "height": 740})
    join(ivy, server, "ivy")
    send(ivy, "x" * 3000)
    expect(log_entries(ivy).filter(has_text="x" * 3000)).to_have_count(1)
    # Nothing is wider than the screen: the long word wraps.
    assert ivy.page.evaluate("document.documentElement.scrollWidth") <= 375
    ivy.screenshot("phone")

    # 600 messages from a bot on its own socket: the DOM keeps the last 500, in order. The bot's
    # join notice is awaited first (presence is batched for 100 ms; on a loaded machine it could
    # otherwise land anywhere among the lines), so the newest 500 entries are all the bot's.
    ivy.page.evaluate("""async () => {
        const socket = new WebSocket(`ws://${location.host}/ws?members=none`);
        await new Promise((resolve) => socket.addEventListener("open", resolve));
        socket.send(JSON.stringify({ action: "setName", name: "bot" }));
        window.bot = socket;
    }""")
    expect(ivy.page.locator("#log")).to_contain_text("bot has joined the chat")
    ivy.page.evaluate("""() => {
        for (let i = 0; i < 600; i++) window.bot.send(JSON.stringify({ action: "sendPublic", message: `line ${i}` }));
    }""")
    expect(log_entries(ivy).filter(has_text="bot: line 599")).to_have_count(1, timeout=20_000)
    assert log_entries(ivy).count() == 500
    # What stays is the newest: the bot's lines 100 to 599, without a gap.
    numbers = [int(match) for match in re.findall(r"bot: line (\d+)", log_entries(ivy).all_inner_texts().__str__())]
    assert numbers == list(range(100, 600))
    assert ivy.console_errors == []


def test_socket_url_follows_the_page_scheme_and_backoff_grows_to_a_cap(server, sessions):
    page = sessions("units").page
    page.goto(server.url)
    result = page.evaluate("""async () => {
        const { gatewayURL, backoffDelay } = await import("/chat-connection.js");
        return {
            https: gatewayURL({ protocol: "https:", host: "chat.example:8443" }),
            http: gatewayURL({ protocol: "http:", host: "127.0.0.1:8080" }),
            delays: [0, 1, 2, 3, 4, 5, 10].map((attempt) => backoffDelay(attempt, () => 0.5)),
            lowest: backoffDelay(0, () => 0), highest: backoffDelay(0, () => 1),
        };
    }""")
    assert result["https"] == "wss://chat.example:8443/ws"
    assert result["http"] == "ws://127.0.0.1:8080/ws"
    assert result["delays"] == [500, 1000, 2000, 4000, 8000, 15000, 15000]
    assert result["lowest"] == 400 and result["highest"] == 600
