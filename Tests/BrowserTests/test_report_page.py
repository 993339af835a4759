"""parley-load's HTML report in a real browser: a real run's page renders with no console errors."""

import os
import subprocess
import tempfile

from conftest import ARTIFACTS, ROOT

LOAD = os.environ.get("PARLEY_LOAD_BIN", os.path.join(ROOT, ".build", "debug", "parley-load"))


def test_a_run_report_renders_its_charts_without_console_errors(sessions):
    with tempfile.TemporaryDirectory() as directory:
        html = os.path.join(directory, "smoke.html")
        subprocess.run([LOAD, "run", os.path.join(ROOT, "scenarios", "smoke.yaml"), "--quiet", "--html", html],
                       check=True, capture_output=True, timeout=120)
        session = sessions("report", viewport={"width": 1200, "height": 900})
        session.page.goto(f"file://{html}")
        assert session.page.locator("h1").inner_text() == "smoke"
        assert "PASS" in session.page.locator(".verdict").first.inner_text()
        # The percentile chart, latency over time and load over time, each with its lines.
        assert session.page.locator("svg").count() == 3
        assert session.page.locator("svg polyline").count() == 5
        assert session.page.locator("table tr").count() > 10
        os.makedirs(ARTIFACTS, exist_ok=True)
        session.page.screenshot(path=os.path.join(ARTIFACTS, "report.png"), full_page=True)
        assert session.console_errors == []
