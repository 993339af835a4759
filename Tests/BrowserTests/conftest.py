"""Fixtures for the chat page's browser tests: a real `parley serve` on loopback and Debian's
Chromium driven by Playwright (it cannot download its own browser here)."""

import os
import subprocess
import time

import pytest
from playwright.sync_api import sync_playwright

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from parleybench.orchestra import free_port, stop
PARLEY = os.environ.get("PARLEY_BIN", os.path.join(ROOT, ".build", "debug", "parley"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = os.path.join(ROOT, ".build", "browser-artifacts")


class Server:
    """`parley serve` on a loopback port; can be stopped and started again on the same port."""

    def __init__(self, port, extra=()):
        self.port = port
        self.url = f"http://127.0.0.1:{port}/"
        self.process = None
        self.extra = list(extra)

    def start(self):
        self.process = subprocess.Popen(
            [PARLEY, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--inbound-rate", "100000",
             "--connect-rate-per-ip", "100000", "--log-level", "warning", *self.extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if "parley listening" in line:
                return
            if not line and self.process.poll() is not None:
                break
        raise RuntimeError(f"parley serve did not start on port {self.port}")

    def stop(self):
        stop(self.process)
        self.process = None


@pytest.fixture
def server():
    server = Server(free_port())
    server.start()
    yield server
    server.stop()


class Session:
    """One browser session (its own context: separate cookies, storage, socket) with the console
    errors and dialogs it saw."""

    def __init__(self, browser, name, viewport):
        self.name = name
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.console_errors = []
        self.dialogs = []
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def screenshot(self, label):
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, f"{label}.png")
        self.page.screenshot(path=path, full_page=True)
        return path

    def close(self):
        self.context.close()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def sessions(browser):
    opened = []

    def open_session(name, viewport=None):
        session = Session(browser, name, viewport or {"width": 1100, "height": 750})
        opened.append(session)
        return session

    yield open_session
    for session in opened:
        session.close()
