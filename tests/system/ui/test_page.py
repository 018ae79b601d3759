"""The page at / in Debian's headless Chromium, against the real server (gunicorn, 127.0.0.1).

Screenshots of each panel go to reports/ui/ for the README.
"""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from boxoffice.core.layout import Layout
from boxoffice.lake.prediction_log import Lake
from boxoffice.lake.reports import publish_report
from tests.conftest import ROOT
from tests.support.server import Server, local_server

pytestmark = pytest.mark.slow

SHOTS = ROOT / "reports" / "ui"
ADMIN = "ui-admin-token"


def _browser() -> WebDriver:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):  # make test installs them (make debs): never skip
        raise RuntimeError("chromium and chromedriver are missing: run `make debs`")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,3200"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


@pytest.fixture(scope="module")
def server(
    trained: Layout, retrospective: Layout, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("ui")
    # What `boxoffice monitor drift` publishes: the health panel shows the latest one.
    publish_report(
        Lake(str(tmp / "lake")),
        "drift",
        {"verdict": "no retrain needed", "enough_data": True, "share": 0.0, "features": []},
    )
    # Both profiles served from this test's models (none from the working tree's models/):
    # the page offers a profile switch.
    running = local_server(
        trained.export_dir,
        tmp,
        1,
        BOXOFFICE_ADMIN_TOKEN=ADMIN,
        BOXOFFICE_RETROSPECTIVE_MODEL_URI=str(retrospective.export_dir),
        BOXOFFICE_MODELS_DIR=str(tmp / "models"),
    )
    running.start()
    yield running
    running.stop(signal.SIGTERM)


@pytest.fixture(scope="module")
def page(server: Server) -> Iterator[WebDriver]:
    browser = _browser()
    browser.get(server.url + "/")
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.ID, "f-production_budget")))
    yield browser
    browser.quit()


def _set(browser: WebDriver, field: str, value: str) -> None:
    element = browser.find_element(By.ID, f"f-{field}")
    # Script, not keystrokes: a date input's typed format depends on the browser's locale.
    browser.execute_script("arguments[0].value = arguments[1];", element, value)


def _forecast(browser: WebDriver, **fields: str) -> None:
    for name in ("production_budget", "release_date", "major_genre", "mpaa_rating"):
        _set(browser, name, "")
    for name, value in fields.items():
        _set(browser, name, value)
    browser.find_element(By.ID, "predict").click()


def _shot(browser: WebDriver, element_id: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    element = browser.find_element(By.ID, element_id)
    browser.execute_script("arguments[0].scrollIntoView();", element)
    element.screenshot(str(SHOTS / f"{name}.png"))


def test_a_realistic_film_gets_a_forecast_range_and_twelve_months(page: WebDriver) -> None:
    _forecast(
        page,
        production_budget="150000000",
        release_date="2009-12-18",
        major_genre="Action",
        mpaa_rating="PG-13",
    )
    wait = WebDriverWait(page, 20)
    wait.until(ec.text_to_be_present_in_element((By.ID, "forecast-range"), "80% range"))
    value = page.find_element(By.ID, "forecast-value").text
    assert value.startswith("$") and value[-1] in "MB"
    assert "director" in page.find_element(By.ID, "unknown-fields").text  # not sent = unknown
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#chart-month .month-point")) == 12)
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#chart-budget .budget-point")) == 7)
    _shot(page, "forecast", "forecast")
    _shot(page, "whatif", "whatif")


def test_a_bad_value_shows_the_api_message_beside_its_field(page: WebDriver) -> None:
    _forecast(page, production_budget="-5", release_date="2009-12-18")
    error = page.find_element(By.ID, "err-production_budget")
    WebDriverWait(page, 20).until(lambda _: error.text.strip() != "")
    assert "production_budget accepts 1 to" in error.text  # the range, named by the API
    assert page.find_element(By.ID, "err-release_date").text == ""


def test_warnings_sit_beside_their_fields_and_comps_under_the_forecast(page: WebDriver) -> None:
    _forecast(
        page,
        production_budget="200000000",
        release_date="2027-07-01",
        major_genre="Sci-Fi",
        mpaa_rating="PG13",
    )
    wait = WebDriverWait(page, 20)
    wait.until(lambda b: b.find_element(By.ID, "note-major_genre").text.strip() != "")
    assert "'Sci-Fi'" in page.find_element(By.ID, "note-major_genre").text
    assert "'PG-13'" in page.find_element(By.ID, "note-mpaa_rating").text
    assert "9 years after" in page.find_element(By.ID, "note-release_date").text
    assert 'major_genre "Sci-Fi"' in page.find_element(By.ID, "unknown-fields").text
    rows = page.find_elements(By.CSS_SELECTOR, "#comps tr")
    assert len(rows) == 6  # a header and 5 films
    _shot(page, "result", "warnings")


def test_date_picker_offers_the_accepted_range_before_any_submit(page: WebDriver) -> None:
    picker = page.find_element(By.ID, "f-release_date")
    assert picker.get_attribute("max") == "2028-12-31"
    assert picker.get_attribute("min") == "1928-01-01"


def test_model_card_shows_the_served_version(page: WebDriver, server: Server) -> None:
    served = httpx.get(f"{server.url}/v1/model").json()["version"]
    table = page.find_element(By.ID, "card-table").text
    assert served in table and "training period" in table and "80% interval coverage" in table
    _shot(page, "card", "card")


def test_health_panel_shows_a_reload(page: WebDriver, server: Server) -> None:
    answer = httpx.post(
        f"{server.url}/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN}"}
    )
    assert answer.status_code == 200
    page.find_element(By.ID, "health-refresh").click()
    WebDriverWait(page, 20).until(
        ec.text_to_be_present_in_element((By.ID, "health-table"), "last reload")
    )
    text = page.find_element(By.ID, "health-table").text
    assert "predictions by version" in text and "spool backlog" in text
    assert "no retrain needed (0% of features drifted)" in text
    assert "none published yet (boxoffice monitor accuracy)" in text
    _shot(page, "health", "health")


def test_no_request_leaves_the_server_origin(page: WebDriver, server: Server) -> None:
    urls = []
    for entry in page.get_log("performance"):
        message: dict[str, Any] = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    assert urls, "the performance log recorded no request"
    foreign = [u for u in urls if not u.startswith(server.url) and not u.startswith("data:")]
    assert not foreign, foreign


def test_keyboard_alone_reaches_every_control(page: WebDriver) -> None:
    controls = {
        e.get_attribute("id")
        for e in page.find_elements(By.CSS_SELECTOR, "main input, main select, main button")
        if e.is_displayed()
    }
    page.find_element(By.TAG_NAME, "body").click()
    reached = set()
    for _ in range(len(controls) + 20):
        page.switch_to.active_element.send_keys(Keys.TAB)
        reached.add(page.switch_to.active_element.get_attribute("id"))
    assert controls <= reached, controls - reached


def test_page_needs_no_key_itself_but_asks_for_one(trained: Layout, tmp_path: Path) -> None:
    keyed = local_server(trained.export_dir, tmp_path, 1, BOXOFFICE_API_KEY="ui-key-123")
    keyed.start()
    browser = _browser()
    try:
        browser.get(keyed.url + "/")
        panel = browser.find_element(By.ID, "key-panel")
        WebDriverWait(browser, 20).until(lambda _: panel.is_displayed())
        browser.find_element(By.ID, "api-key").send_keys("ui-key-123")
        browser.find_element(By.ID, "key-save").click()
        WebDriverWait(browser, 20).until(
            ec.presence_of_element_located((By.ID, "f-production_budget"))
        )
        stored = browser.execute_script("return sessionStorage.getItem('boxoffice-api-key');")
        assert stored == "ui-key-123"
        assert browser.execute_script("return localStorage.length;") == 0
    finally:
        browser.quit()
        keyed.stop(signal.SIGTERM)


def test_zz_dump(server: Server) -> None:
    out = {}
    out["pre"] = httpx.get(f"{server.url}/v1/model").json()
    out["retro"] = httpx.get(f"{server.url}/v1/model?profile=retrospective").json()
    r = httpx.post(f"{server.url}/v1/prediction", json={"production_budget": 237000000, "release_date": "2040-06-01"})
    out["e422"] = [r.status_code, r.json()]
    r = httpx.post(f"{server.url}/v1/prediction?comps=5", json={"production_budget": 237000000, "release_date": "2009-12-18"})
    out["ok"] = r.json()
    Path("/tmp/dump.json").write_text(json.dumps(out, indent=1))
