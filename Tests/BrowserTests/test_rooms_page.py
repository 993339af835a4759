"""Rooms on the chat page in a real browser: a room list (join by name, leave), one log per
room with unread counts, the member list of the room in view, a deep link #room=R."""

from playwright.sync_api import expect

from chat_page import join, join_room, log_entries, room_button, room_entries, send

expect.set_options(timeout=10_000)


def test_rooms_have_their_own_logs_members_and_unread_counts(server, sessions):
    alice, bob, carol = sessions("alice"), sessions("bob"), sessions("carol")
    join(alice, server, "alice")
    join(carol, server, "carol")
    # bob follows a link to the room: once named, he is in it and it is in view.
    join(bob, server, "bob", fragment="#room=team-1")
    expect(room_button(bob, "team-1")).to_have_attribute("aria-current", "true")
    join_room(alice, "team-1")
    expect(alice.page).to_have_url(server.url + "#room=team-1")
    expect(alice.page.locator("#room-title")).to_have_text("team-1")
    expect(alice.page.locator("#message-label")).to_have_text("Message to team-1")
    # The member list is the room's: two in team-1, three in the lobby.
    for session in (alice, bob):
        expect(session.page.locator("#members li")).to_have_count(2)

    send(alice, "only for the team")
    for session in (alice, bob):
        expect(room_entries(session, "team-1").filter(has_text="only for the team")).to_have_count(1)
        expect(log_entries(session).filter(has_text="only for the team")).to_have_count(0)
    expect(log_entries(carol).filter(has_text="only for the team")).to_have_count(0)

    # bob looks at the lobby: a team message meanwhile is counted, not lost.
    room_button(bob, "").click()
    expect(bob.page.locator("#room-title")).to_have_text("lobby")
    expect(bob.page.locator("#members li")).to_have_count(3)
    send(alice, "while bob reads the lobby")
    expect(room_button(bob, "team-1").locator(".unread")).to_have_text("1")
    send(carol, "hello lobby")
    expect(log_entries(bob).filter(has_text="hello lobby")).to_have_count(1)
    room_button(bob, "team-1").click()
    expect(room_button(bob, "team-1").locator(".unread")).to_have_count(0)
    expect(room_entries(bob, "team-1").filter(has_text="while bob reads the lobby")).to_be_visible()
    expect(room_entries(bob, "team-1").filter(has_text="hello lobby")).to_have_count(0)
    bob.screenshot("rooms")

    # alice leaves: bob's team-1 hears it and its member list shrinks; hers is gone.
    alice.page.get_by_role("button", name="Leave team-1").click()
    expect(alice.page.locator('#rooms li[data-room="team-1"]')).to_have_count(0)
    expect(alice.page.locator("#room-title")).to_have_text("lobby")
    expect(room_entries(bob, "team-1").filter(has_text="alice has left the chat")).to_have_count(1)
    expect(bob.page.locator("#members li")).to_have_count(1)
    for session in (alice, bob, carol):
        assert session.console_errors == [], session.console_errors


def test_a_dropped_socket_rejoins_its_rooms_and_resumes_each(server, sessions):
    dana, eli = sessions("dana"), sessions("eli")
    join(dana, server, "dana")
    join(eli, server, "eli")
    join_room(dana, "news")
    join_room(eli, "news")
    send(eli, "news before")
    expect(room_entries(dana, "news").filter(has_text="news before")).to_have_count(1)
    # Closing dana's socket: the page reconnects by itself, names her, and joins news again.
    dana.page.get_by_role("button", name="Disconnect").click()
    expect(dana.page.locator("#status-text")).to_have_text("Not connected")
    send(eli, "news while dana was away")
    dana.page.get_by_role("button", name="Connect").click()
    expect(dana.page.locator("#status-text")).to_have_text("Connected")
    expect(room_entries(dana, "news").filter(has_text="news while dana was away")).to_have_count(1)
    send(eli, "news after")
    expect(room_entries(dana, "news").filter(has_text="news after")).to_have_count(1)
    expect(room_entries(dana, "news").filter(has_text="news before")).to_have_count(1)
