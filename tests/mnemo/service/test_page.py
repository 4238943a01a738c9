"""The web page in a real headless browser (Debian's Chromium through Selenium): upload the sample,
wait for the ingest, ask, click the first evidence chip, and check where the player went."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.mnemo.service.conftest import REPO, Server

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("MNEMO_ARTIFACTS", REPO / "out" / "test-artifacts")) / "browser"


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        pytest.skip("Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                 "--autoplay-policy=no-user-gesture-required", "--mute-audio"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def test_upload_ask_and_seek_to_the_evidence(browser, videos, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    root = tmp_path / "root"
    root.mkdir()
    server = Server(root)
    wait = WebDriverWait(browser, 90, poll_frequency=0.2)
    try:
        browser.get(server.url + "/")
        wait.until(ready.visibility_of_element_located((By.ID, "token"))).send_keys(server.token)
        browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
        wait.until(ready.invisibility_of_element_located((By.ID, "login")))

        browser.find_element(By.ID, "new-memory").send_keys("web")
        browser.find_element(By.ID, "create-memory").click()
        wait.until(lambda b: b.find_element(By.ID, "memory-select").get_attribute("value") == "web")
        short = videos["short"]
        browser.find_element(By.ID, "file").send_keys(str(short.video))
        browser.find_element(By.ID, "subtitles").send_keys(str(short.subtitles))
        browser.find_element(By.ID, "upload").click()
        wait.until(lambda b: ": done" in b.find_element(By.ID, "job-state").text
                   or ": failed" in b.find_element(By.ID, "job-state").text)
        assert ": done" in browser.find_element(By.ID, "job-state").text
        assert float(browser.find_element(By.ID, "upload-progress").get_attribute("value")) == 1.0
        assert float(browser.find_element(By.ID, "ingest-progress").get_attribute("value")) == 1.0
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#events .event")) == 6)
        browser.save_screenshot(str(ARTIFACTS / "timeline.png"))

        browser.find_element(By.ID, "question").send_keys("Where did Alice leave her keys?")
        browser.find_element(By.ID, "ask").click()
        chip = wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, ".evidence-chip")))
        assert "sofa" in browser.find_element(By.CSS_SELECTOR, "#answer .text").text
        start = float(chip.get_attribute("data-start"))
        assert start == 6.0  # the living room, where the keys line is said
        chip.click()
        wait.until(lambda b: abs(b.execute_script("return document.getElementById('player').currentTime") - start)
                   < 0.25)
        assert browser.execute_script("return document.getElementById('player').readyState") >= 1
        browser.save_screenshot(str(ARTIFACTS / "answer.png"))

        browser.find_element(By.CSS_SELECTOR, "[data-tab=transcript]").click()
        rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#lines tr")]
        said = [r for r in rows if "no transcript" not in r]
        assert len(said) == 6 and "Alice left her keys" in said[1], rows
        browser.save_screenshot(str(ARTIFACTS / "transcript.png"))
        browser.find_element(By.CSS_SELECTOR, "[data-tab=entities]").click()
        browser.save_screenshot(str(ARTIFACTS / "entities.png"))
        errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not [m for m in errors if "401" not in m], errors  # 401: the first look, before signing in
    finally:
        server.stop()
