"""The page at / in Debian's headless Chromium, against the real server (gunicorn, 127.0.0.1).

Screenshots of each panel go to reports/ui/ (git-ignored); docs/ui/ holds the copies the
README shows, refreshed from there by hand.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import time
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
from selenium.webdriver.support.ui import Select, WebDriverWait

from boxoffice.core.layout import Layout
from boxoffice.core.money import format_money
from boxoffice.lake.prediction_log import Lake
from boxoffice.lake.reports import publish_report
from tests.conftest import ROOT
from tests.support.server import Server, local_server

pytestmark = pytest.mark.slow

SHOTS = ROOT / "reports" / "ui"
ADMIN = "ui-admin-token"
APP_JS = ROOT / "src" / "boxoffice" / "serving" / "ui" / "app.js"
AVATAR = {
    "production_budget": "237000000",
    "release_date": "2009-12-18",
    "major_genre": "Action",
    "mpaa_rating": "PG-13",
}
ACCURACY_ROW = {
    "model_version": "sha-0a1b2c3",
    "n": 42,
    "mae_log": 0.8124,
    "mdape": 0.6,
    "coverage": 0.79,
}
# How format_money writes an amount: B with 2 decimals, M with 1, K and dollars with none.
MONEY = re.compile(r"-?\$\d{1,3}(?:,\d{3})*(?:\.\d\dB|\.\dM|K)?")


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


def _only(tmp: Path, retrospective: Layout | None = None) -> dict[str, str]:
    """Serve this test's models alone: none of the working tree's models/ (tracked by git)."""
    retro = retrospective.export_dir if retrospective else tmp / "no-retrospective"
    return {
        "BOXOFFICE_MODELS_DIR": str(tmp / "models"),
        "BOXOFFICE_RETROSPECTIVE_MODEL_URI": str(retro),
    }


@pytest.fixture(scope="module")
def server(trained: Layout, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("ui")
    # What `boxoffice monitor drift` publishes: the health panel shows the latest one.
    publish_report(
        Lake(str(tmp / "lake")),
        "drift",
        {"verdict": "no retrain needed", "enough_data": True, "share": 0.0, "features": []},
    )
    # ... and what `boxoffice monitor accuracy` publishes (rows of lifecycle.labels.accuracy).
    publish_report(Lake(str(tmp / "lake")), "accuracy", {"versions": [ACCURACY_ROW]})
    running = local_server(trained.export_dir, tmp, 1, **_only(tmp), BOXOFFICE_ADMIN_TOKEN=ADMIN)
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
    _submit(browser)


def _submit(browser: WebDriver) -> None:
    """Click Forecast and wait until the page is done with it (charts and health too)."""
    browser.find_element(By.ID, "predict").click()
    _idle(browser, "film-form")


def _idle(browser: WebDriver, element_id: str) -> None:
    """Wait until the page's work on this element is over (it is aria-busy meanwhile)."""
    node = browser.find_element(By.ID, element_id)
    WebDriverWait(browser, 30).until(lambda _: node.get_attribute("aria-busy") == "false")


def _forecast_done(browser: WebDriver) -> None:
    """Wait for the forecast and both what-if charts of a film with a date and a budget."""
    wait = WebDriverWait(browser, 20)
    wait.until(ec.text_to_be_present_in_element((By.ID, "forecast-range"), "80% range"))
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#chart-month .month-point")) == 12)
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#chart-budget .budget-point")) == 7)


def _type(browser: WebDriver, field: str, text: str) -> None:
    """Keystrokes, as a person types them (a number box would drop the "$" and the "M")."""
    element = browser.find_element(By.ID, f"f-{field}")
    element.clear()
    element.send_keys(text)


# One script in the page: the page redraws the health table every few seconds, and an element
# found by one call can be gone by the next (a StaleElementReferenceException in CI's run).
HEALTH_ROW = """
for (const row of document.querySelectorAll('#health-table tr')) {
  const th = row.querySelector('th');
  if (th && th.textContent.replace(/\\s+/g, ' ').trim() === arguments[0]) {
    const td = row.querySelector('td');
    return td ? td.innerText.trim() : '';
  }
}
return '';
"""


def _health_row(browser: WebDriver, name: str) -> str:
    text: str = browser.execute_script(HEALTH_ROW, name)
    return text


def _posted(browser: WebDriver) -> list[str]:
    """The URLs of the POST requests the page sent since the last call (the log is drained)."""
    posted = []
    for entry in browser.get_log("performance"):
        message: dict[str, Any] = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            request = message["params"]["request"]
            if request["method"] == "POST":
                posted.append(request["url"])
    return posted


def _all(browser: WebDriver, css: str) -> list[Any]:
    return browser.find_elements(By.CSS_SELECTOR, css)


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
    reduced = httpx.get(f"{server.url}/v1/model").json()["signature"]["reduced"]
    if reduced is None:  # the shipped params: no reduced trees, no such row
        assert "reduced trees for" not in table
    else:
        assert f"requests sending exactly: {', '.join(reduced) or 'no optional field'}" in table
    _shot(page, "card", "card")


def test_health_panel_shows_a_reload(page: WebDriver, server: Server) -> None:
    answer = httpx.post(
        f"{server.url}/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN}"}
    )
    assert answer.status_code == 200
    page.find_element(By.ID, "health-refresh").click()
    _idle(page, "health-body")  # the table shown before the click may say "last reload" too
    WebDriverWait(page, 20).until(
        ec.text_to_be_present_in_element((By.ID, "health-table"), "last reload")
    )
    text = page.find_element(By.ID, "health-table").text
    assert "predictions by version" in text and "spool backlog" in text
    assert "no retrain needed (0% of features drifted)" in text
    accuracy = _health_row(page, "latest accuracy report")
    assert accuracy.endswith("UTC: sha-0a1b2c3: n 42, MAE(log) 0.812, coverage 0.79"), accuracy
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
    keyed = local_server(
        trained.export_dir,
        tmp_path,
        1,
        BOXOFFICE_API_KEY="ui-key-123",
        BOXOFFICE_ADMIN_TOKEN=ADMIN,
        BOXOFFICE_METRICS_ACCESS="admin",
    )
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
        # /metrics is behind the admin token here, which the page never holds: it says so.
        WebDriverWait(browser, 20).until(lambda b: _health_row(b, "metrics") != "")
        assert _health_row(browser, "metrics") == "not readable here (protected by the admin token)"
        assert _health_row(browser, "predictions by version") == ""
        # Its own request, answered after /metrics's: wait for it, as for the row above (the
        # fresh-clone run read it empty under load).
        WebDriverWait(browser, 20).until(lambda b: _health_row(b, "latest drift report") != "")
        drift = _health_row(browser, "latest drift report")
        assert drift == "none published yet (boxoffice monitor drift)"
    finally:
        browser.quit()
        keyed.stop(signal.SIGTERM)


def test_an_error_clears_the_previous_forecast_comps_and_charts(page: WebDriver) -> None:
    _forecast(page, **AVATAR)
    _forecast_done(page)
    assert page.find_elements(By.CSS_SELECTOR, "#comps tr")
    _forecast(page, **(AVATAR | {"release_date": "2040-06-01"}))  # refused: 422
    error = page.find_element(By.ID, "err-release_date")
    WebDriverWait(page, 20).until(lambda _: error.text.strip() != "")
    assert page.find_element(By.CSS_SELECTOR, "#result [role=alert]").is_displayed()
    assert not page.find_elements(By.ID, "forecast-value")
    assert not page.find_elements(By.ID, "comps")
    assert not page.find_elements(By.CSS_SELECTOR, "#chart-month svg, #chart-budget svg")


def test_switching_the_profile_clears_the_result(
    trained: Layout, retrospective: Layout, tmp_path: Path
) -> None:
    # A server of its own: the retrospective model's training is this test's cost alone.
    both = local_server(trained.export_dir, tmp_path, 1, **_only(tmp_path, retrospective))
    both.start()
    browser = _browser()
    try:
        browser.get(both.url + "/")
        wait = WebDriverWait(browser, 20)
        wait.until(ec.presence_of_element_located((By.ID, "f-production_budget")))
        _forecast(browser, **AVATAR)
        _forecast_done(browser)
        profile = Select(browser.find_element(By.ID, "profile"))
        assert [o.get_attribute("value") for o in profile.options] == [
            "pre_release",
            "retrospective",
        ]
        profile.select_by_value("retrospective")
        wait.until(ec.presence_of_element_located((By.ID, "f-imdb_votes")))  # its own form
        assert browser.find_element(By.ID, "f-production_budget").get_attribute("value") == ""
        assert browser.find_element(By.ID, "result").text == ""
        assert not browser.find_elements(By.CSS_SELECTOR, "#chart-month svg, #chart-budget svg")
        # The new profile's card, route and forecast: each from the retrospective model.
        card = browser.find_element(By.ID, "card-table").text
        assert "profile retrospective (pre_release, retrospective served)" in card
        hint = browser.find_element(By.ID, "profile-hint").text
        assert hint == "POST /v1/retrospective/prediction"
        _posted(browser)  # drain the log
        _forecast(browser, **AVATAR, imdb_votes="900000")
        _forecast_done(browser)
        posted = [u.removeprefix(both.url) for u in _posted(browser) if "/v1/" in u]
        assert posted[0] == "/v1/retrospective/prediction?comps=5"
        assert set(posted[1:]) == {"/v1/retrospective/predictions"}
        assert "profile retrospective" in browser.find_element(By.ID, "result").text
        unknown = browser.find_element(By.ID, "unknown-fields").text
        assert "imdb_votes" not in unknown and "rotten_tomatoes" in unknown, unknown
    finally:
        browser.quit()
        both.stop(signal.SIGTERM)


def _latency_bound_ms(metrics: str, q: float) -> float:
    """The smallest bucket bound holding a share ``q`` of /v1/prediction's requests."""
    buckets = []
    for line in metrics.splitlines():
        if line.startswith("boxoffice_request_latency_seconds_bucket{") and (
            'route="/v1/prediction"' in line
        ):
            bound = re.search(r'le="([^"]+)"', line)
            assert bound is not None, line
            buckets.append((float(bound.group(1)), float(line.split()[-1])))
    buckets.sort()
    return next(le for le, count in buckets if count >= q * buckets[-1][1]) * 1000


def test_health_panel_counts_the_forecast_just_made(page: WebDriver, server: Server) -> None:
    WebDriverWait(page, 20).until(lambda b: _health_row(b, "predictions by version") != "")
    before = _health_row(page, "predictions by version")
    _forecast(page, **AVATAR)
    _forecast_done(page)
    # No click on Refresh: the panel follows each forecast by itself.
    WebDriverWait(page, 20).until(lambda b: _health_row(b, "predictions by version") != before)
    assert re.fullmatch(r"(sha-\w+: \d+(, )?)+", _health_row(page, "predictions by version"))
    # The percentiles are read from /metrics' histogram of the one-film route (the page's
    # what-if charts post to the batch route, which this row leaves out). One worker: the
    # histogram the page read is the one read here, as nothing has posted since.
    metrics = httpx.get(f"{server.url}/metrics").text
    p50, p99 = (_latency_bound_ms(metrics, q) for q in (0.5, 0.99))
    latency = _health_row(page, "latency p50 / p99 (/v1/prediction)")
    assert latency == f"≤ {p50:.1f} ms / ≤ {p99:.1f} ms", (latency, p50, p99)


def test_the_page_fits_a_phone_without_sideways_scrolling(page: WebDriver) -> None:
    page.set_window_size(390, 3200)
    try:
        assert page.execute_script("return window.innerWidth;") == 390
        _forecast(page, **AVATAR)
        _forecast_done(page)
        width = page.execute_script("return window.innerWidth;")
        assert page.execute_script("return document.documentElement.scrollWidth;") <= width
        # In one script: the health panel may redraw between two calls from here.
        beyond = page.execute_script(
            "return [...document.querySelectorAll('input, select, button, svg, table')]"
            ".filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > "
            "window.innerWidth).map((e) => e.id || e.tagName);"
        )
        assert beyond == []
        _shot(page, "forecast", "mobile")
    finally:
        page.set_window_size(1100, 3200)


def test_labels_are_readable_and_ids_keep_the_field_names(page: WebDriver, server: Server) -> None:
    inputs = httpx.get(f"{server.url}/v1/model").json()["signature"]["inputs"]
    for item in inputs:
        field = page.find_element(By.ID, f"f-{item['field']}")
        assert field.get_attribute("name") == item["field"]
        label = page.find_element(By.CSS_SELECTOR, f"label[for='f-{item['field']}']").text
        assert "_" not in label and label[0].isupper(), label
    label = page.find_element(By.CSS_SELECTOR, "label[for='f-production_budget']").text
    assert label == "Production budget *"
    assert page.find_element(By.CSS_SELECTOR, "label[for='f-mpaa_rating']").text == "MPAA rating"


@pytest.mark.parametrize(
    ("text", "dollars"),
    [
        ("$200M", 200_000_000),
        ("200m", 200_000_000),
        ("1.5B", 1_500_000_000),
        ("200,000,000", 200_000_000),
        ("$250K", 250_000),
        ("150000000", 150_000_000),
        ("-5", -5),  # sent: the API says what the budget accepts
    ],
)
def test_money_text_reads_as_dollars(page: WebDriver, text: str, dollars: int) -> None:
    assert page.execute_script("return parseMoney(arguments[0]);", text) == dollars


@pytest.mark.parametrize("text", ["lots", "200 dollars", "2,00", "1.5.5M", "$", "12q"])
def test_text_that_is_no_amount_reads_as_none(page: WebDriver, text: str) -> None:
    assert page.execute_script("return Number.isNaN(parseMoney(arguments[0]));", text)


def test_a_typed_budget_in_millions_is_sent_in_dollars(page: WebDriver) -> None:
    _forecast(page, release_date="2009-12-18")
    WebDriverWait(page, 20).until(lambda b: b.find_element(By.ID, "err-production_budget").text)
    _type(page, "production_budget", "$200M")
    _submit(page)
    _forecast_done(page)
    labels = [t.text for t in page.find_elements(By.CSS_SELECTOR, "#chart-budget text")]
    assert "$200.0M" in labels  # the film itself: the what-if budgets are factors of it
    assert page.find_element(By.ID, "forecast-value").text[-1] in "MB"


def test_a_budget_that_is_no_amount_is_refused_beside_it_and_nothing_is_sent(
    page: WebDriver,
) -> None:
    _forecast(page, release_date="2009-12-18")
    WebDriverWait(page, 20).until(lambda b: b.find_element(By.ID, "err-production_budget").text)
    _type(page, "production_budget", "lots")
    _posted(page)  # drain the log
    _submit(page)
    error = page.find_element(By.ID, "err-production_budget")
    WebDriverWait(page, 20).until(lambda _: "not an amount" in error.text)
    time.sleep(0.5)  # a request, had one been started, is in the log by now
    assert not [u for u in _posted(page) if "/v1/" in u]
    assert not page.find_elements(By.ID, "forecast-value")


def test_date_help_makes_no_format_claim_against_the_picker(page: WebDriver) -> None:
    title = page.find_element(By.ID, "f-release_date").get_attribute("title") or ""
    for help_text in (title, page.find_element(By.ID, "help-release_date").text):
        assert "1928" in help_text and "2028" in help_text, help_text
        assert not re.search(r"YYYY|MM|DD|ISO|\d{4}-\d{2}-\d{2}", help_text), help_text


def test_money_is_written_by_one_function_the_twin_of_format_money(page: WebDriver) -> None:
    source = re.sub(r"^\s*//.*$", "", APP_JS.read_text(), flags=re.MULTILINE)  # code, not comments
    start = source.index("function formatMoney(")
    body = source[start : source.index("\n}\n", start)]
    rest = source[:start] + source[start + len(body) :]
    dollar_text = re.compile(r"\$\$\{|[\"'`]\$[\"'`]")  # a literal "$" written before a figure
    assert dollar_text.search(body) and not dollar_text.search(rest)
    cases = [1.47e9, 438.7e6, 250e3, 218, 0, 999_960, 950_000, 1_250_000, 2_500, 1.2e13, -5e6]
    written = page.execute_script("return arguments[0].map(formatMoney);", cases)
    assert written[:4] == ["$1.47B", "$438.7M", "$250K", "$218"]
    assert written == [format_money(x) for x in cases]


def test_every_dollar_amount_on_the_page_is_written_one_way(
    page: WebDriver, server: Server
) -> None:
    _forecast(page, **AVATAR)
    _forecast_done(page)
    texts = [page.find_element(By.ID, i).text for i in ("forecast-value", "forecast-range")]
    texts.append(page.find_element(By.ID, "comps").text)
    charts = "#result svg text, #whatif svg text, #whatif svg title"  # ticks, labels, tooltips
    texts += [t.get_attribute("textContent") or "" for t in _all(page, charts)]
    amounts = [a for text in texts for a in re.findall(r"-?\$[\d.,]+[A-Za-z]?", text)]
    assert len(amounts) > 40
    assert all(MONEY.fullmatch(a) for a in amounts), [a for a in amounts if not MONEY.fullmatch(a)]
    body = {k: (float(v) if k == "production_budget" else v) for k, v in AVATAR.items()}
    comps = httpx.post(f"{server.url}/v1/prediction?comps=5", json=body).json()["comps"]
    rows = page.find_elements(By.CSS_SELECTOR, "#comps tr")[1:]
    for comp, row in zip(comps, rows, strict=True):
        cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        assert cells[2] == format_money(comp["production_budget"])
        assert cells[3] == format_money(comp["worldwide_gross"])
    card = page.find_element(By.ID, "card-table").text
    assert "lt_10m" not in card and "ge_100m" not in card
    bands = [card.index(name) for name in ("< $10M", "$10M-$100M", "≥ $100M")]
    assert bands == sorted(bands)  # smallest first
