"""The chat page when the server needs a token (`parley serve --auth jwt`): taken from the
address's fragment and out of the address at once, or pasted; the name the token gives; a
refused token said plainly; a token renewed from the refresh URL before it runs out."""

import base64
import hashlib
import hmac
import json
import os
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from conftest import Server, free_port

expect.set_options(timeout=10_000)

SECRET = "parley-browser-test-secret-0123456789"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(sub, name=None, lifetime=300, secret=SECRET):
    claims = {"sub": sub, "exp": int(time.time() + lifetime)}
    if name:
        claims["name"] = name
    signing_input = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


class RefreshService:
    """The operator's refresh URL: a new 300 s token for the user on each GET (CORS for the page)."""

    def __init__(self, page_origin):
        calls = self.calls = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                calls.append(time.monotonic())
                body = json.dumps({"token": token("u-ren", "Ren", lifetime=300)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Access-Control-Allow-Origin", page_origin)
                self.send_header("Access-Control-Allow-Credentials", "true")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/token"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self):
        self.http.shutdown()


@pytest.fixture
def auth_server():
    directory = tempfile.mkdtemp(prefix="parley-auth-page-")
    secret = os.path.join(directory, "secret.txt")
    with open(secret, "w") as f:
        f.write(SECRET + "\n")
    port = free_port()
    refresh = RefreshService(f"http://127.0.0.1:{port}")
    server = Server(port, ["--auth", "jwt", "--jwt-key", secret, "--jwt-leeway", "0", "--auth-refresh-url", refresh.url])
    server.refresh = refresh
    server.start()
    yield server
    server.stop()
    refresh.stop()


def test_a_token_in_the_fragment_joins_under_its_name_and_leaves_the_address(auth_server, sessions):
    alice = sessions("alice")
    alice.page.goto(auth_server.url + "#token=" + token("u-alice", "Alice") + "&room=team-1")
    expect(alice.page.locator("#token-form")).to_be_hidden()
    expect(alice.page.locator("#name-input")).to_have_value("Alice")
    # Out of the address (history, bookmarks, a copied link), the room link kept.
    assert "token" not in alice.page.url
    alice.page.get_by_role("button", name="Join", exact=True).click()
    expect(alice.page.locator("#identity")).to_have_text("You are Alice.")
    expect(alice.page.locator("#room-title")).to_have_text("team-1")
    expect(alice.page.locator("#status-text")).to_have_text("Connected")
    assert alice.console_errors == [], alice.console_errors


def test_without_a_token_the_page_asks_for_one_and_a_pasted_token_connects(auth_server, sessions):
    bob = sessions("bob")
    bob.page.goto(auth_server.url)
    expect(bob.page.locator("#token-form")).to_be_visible()
    expect(bob.page.locator("#status-text")).to_have_text("Not connected")
    bob.page.locator("#token-input").fill(token("u-bob", "Bob"))
    bob.page.get_by_role("button", name="Use token").click()
    expect(bob.page.locator("#status-text")).to_have_text("Connected")
    expect(bob.page.locator("#name-input")).to_have_value("Bob")
    bob.page.get_by_role("button", name="Join", exact=True).click()
    expect(bob.page.locator("#identity")).to_have_text("You are Bob.")
    bob.screenshot("auth-pasted-token")


def test_a_refused_token_is_said_plainly(auth_server, sessions):
    eve = sessions("eve")
    eve.page.goto(auth_server.url + "#token=" + token("u-eve", "Eve", secret="not-the-servers-secret-0123456789"))
    expect(eve.page.locator("#auth-problem")).to_contain_text("The server refused your token")
    expect(eve.page.locator("#token-form")).to_be_visible()
    expect(eve.page.locator("#status-text")).to_have_text("Not connected")
    eve.screenshot("auth-refused")


def test_a_token_is_renewed_before_it_runs_out(auth_server, sessions):
    ren = sessions("ren")
    ren.page.goto(auth_server.url + "#token=" + token("u-ren", "Ren", lifetime=4))
    ren.page.get_by_role("button", name="Join", exact=True).click()
    expect(ren.page.locator("#identity")).to_have_text("You are Ren.")
    # Past the first token's end: still connected, renewed once, no close 4001.
    time.sleep(6)
    expect(ren.page.locator("#status-text")).to_have_text("Connected")
    assert len(auth_server.refresh.calls) >= 1
    expect(ren.page.locator("#log").filter(has_text="ran out")).to_have_count(0)
    ren.page.locator("#message-input").fill("still here")
    ren.page.locator("#message-input").press("Enter")
    expect(ren.page.locator("#log li").filter(has_text="still here")).to_have_count(1)
    assert ren.console_errors == [], ren.console_errors
