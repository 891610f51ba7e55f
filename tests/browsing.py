"""Headless Chromium for the browser tests: found on PATH or the test skips, saying so loudly."""
import shutil
import subprocess

import pytest


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("BROWSER TESTS SKIPPED: no Chromium on PATH (apt-get install chromium); "
                "the HTML documents were not checked in a browser")


def run_chromium(binary, tmp_path, url, *args, width=900, height=700) -> subprocess.CompletedProcess:
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},{height}", *args, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
