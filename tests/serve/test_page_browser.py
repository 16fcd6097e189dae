"""The web page in a real browser (headless Chromium from Debian's
``chromium`` and ``chromium-driver`` packages, driven by selenium): the
schema picture, the suggested questions (one clicked into the box), the
PQL box checked as you type, predictions sorted and
downloadable, a backtest chart. Screenshots are kept in
``$RELGRAPH_TEST_ARTIFACTS`` (default: the test's temporary folder)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from relgraph.serve import BackgroundServer
from tests.serve.conftest import CHURN

webdriver = pytest.importorskip("selenium.webdriver")
NO_BROWSER = shutil.which("chromium") is None or shutil.which("chromedriver") is None
WHY = "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
pytestmark = [
    pytest.mark.slow,
    # CI installs them (.ci/install-chromium.sh): there a missing browser fails
    pytest.mark.skipif(NO_BROWSER and os.environ.get("CI") != "true", reason=WHY),
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if NO_BROWSER:
        pytest.fail(WHY)
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument("--window-size=1400,1000")
    options.binary_location = shutil.which("chromium")
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("RELGRAPH_TEST_ARTIFACTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _wait(browser, condition, timeout: float = 60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(lambda d: condition(d))


def test_page_end_to_end(browser, server: BackgroundServer, artifacts: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server.url + "/")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#schema g[data-table]"))
    tables = browser.find_elements(By.CSS_SELECTOR, "#schema g[data-table]")
    assert {t.get_attribute("data-table") for t in tables} == {
        "customers",
        "orders",
        "order_items",
        "products",
        "reviews",
    }
    assert "key" in browser.find_element(By.ID, "schema").text
    assert browser.find_elements(By.CSS_SELECTOR, "#schema line")  # the links
    browser.save_screenshot(str(artifacts / "schema.png"))

    # the suggested questions arrive once computed; a click puts one in the box
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#suggestions button"))
    suggestion = browser.find_elements(By.CSS_SELECTOR, "#suggestions button")[0]
    assert suggestion.text.endswith("?")
    suggestion.click()
    box = browser.find_element(By.ID, "query")
    assert box.get_attribute("value") == suggestion.get_attribute("data-query")
    assert box.get_attribute("value").startswith("PREDICT ")
    check = browser.find_element(By.ID, "check")
    _wait(browser, lambda d: check.get_attribute("class") == "ok")
    browser.save_screenshot(str(artifacts / "suggestions.png"))
    box.clear()

    box.send_keys(CHURN.replace("orders.*", "orderz.*"))
    _wait(browser, lambda d: check.get_attribute("class") == "bad")
    assert "orderz" in check.text
    start, end = browser.execute_script(
        "const q = document.getElementById('query'); return [q.selectionStart, q.selectionEnd];"
    )
    assert box.get_attribute("value")[start:end] == "orderz"
    browser.save_screenshot(str(artifacts / "check_error.png"))

    box.clear()
    box.send_keys(CHURN)
    _wait(browser, lambda d: check.get_attribute("class") == "ok")
    assert "binary_classification" in check.text

    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "predictor")).select_by_visible_text("lightgbm")
    browser.find_element(By.ID, "predict").click()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#predictions tr")) > 10)
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#predictions th")]
    assert headers[:3] == ["customer_id", "anchor_time", "probability"]
    assert "top_signal" in headers
    browser.find_elements(By.CSS_SELECTOR, "#predictions th")[2].click()  # sort by probability
    column = browser.execute_script(
        "return Array.from(document.querySelectorAll('#predictions tr td:nth-child(3)'))"
        ".map(td => parseFloat(td.textContent));"
    )
    assert column == sorted(column)
    csv = browser.execute_script("return csv();")
    lines = csv.splitlines()
    assert lines[0].startswith("customer_id,anchor_time,probability") and len(lines) > 10
    assert browser.find_element(By.ID, "download").is_displayed()
    browser.save_screenshot(str(artifacts / "predictions.png"))

    browser.find_element(By.ID, "evaluate").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chart rect"), timeout=120)
    bars = browser.find_elements(By.CSS_SELECTOR, "#chart rect")
    assert len(bars) == 3  # icl, baseline, prior
    assert "done" in browser.find_element(By.ID, "job").text
    browser.execute_script("document.getElementById('backtest-section').scrollIntoView();")
    browser.save_screenshot(str(artifacts / "backtest.png"))
