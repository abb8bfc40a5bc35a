"""The report in a real headless browser (Debian's chromium and chromium-driver, driven by selenium).

The page loads with no console error and no network request, every chart draws one mark per
figure, a hover over a point shows that figure, the drop-downs filter, the tables sort and
search. A screenshot is kept in $REPORT_ARTIFACTS (default: tmp/artifacts/ in the project).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from test_docs_and_report import _expected_points

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("REPORT_ARTIFACTS", ROOT / "tmp" / "artifacts"))

pytestmark = [
    pytest.mark.slow,  # a real browser: the slow tier (python -m pytest --slow)
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER), reason="headless Chromium not installed: apt-get install -y chromium chromium-driver"
    ),
]


@pytest.fixture(scope="module")
def page(real_report):
    pytest.importorskip("altair")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    path = real_report / "index.html"
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for a in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1400,1000",
    ):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_script_timeout(120)
    try:
        driver.get(path.as_uri())
        charts = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];window.reportReady.then(done, e => done('failed: ' + e));"
        )
        assert isinstance(charts, int) and charts > 0, charts
        yield driver, path
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_loads_with_no_console_error_and_no_network_request(page):
    driver, path = page
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    requests = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    urls = {m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"}
    # chrome:// pages are the browser's own start page; data: URLs are inline
    outside = {u for u in urls if not u.startswith(("chrome://", "data:")) and u != path.as_uri()}
    assert outside == set()


def test_every_chart_draws_one_point_per_figure(page):
    driver, _ = page
    for mark, n in _expected_points().items():
        drawn = driver.execute_script(f"return document.querySelectorAll('g.{mark}_marks > path').length")
        assert drawn == n, mark


def _hover_first(driver, mark):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    point = driver.find_element(By.CSS_SELECTOR, f"g.{mark}_marks > path")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", point)
    ActionChains(driver).move_to_element(point).perform()
    tip = driver.find_element(By.ID, "vg-tooltip-element")
    return point.get_attribute("aria-label") or "", tip


def test_hover_shows_the_figure_under_the_pointer(page):
    from selenium.webdriver.support.ui import WebDriverWait

    from ketamine_ssri_evidence import loader

    driver, _ = page
    figures = loader.load("figures").set_index("figure_id")
    label, tip = _hover_first(driver, "points_remission_rate")
    WebDriverWait(driver, 10).until(lambda d: tip.is_displayed() and tip.text.strip())
    figure_id = label.rsplit("(", 1)[1].rstrip(")")  # the mark's own description names its figure
    f = figures.loc[figure_id]
    text = tip.text
    for value in (f["value_text"], f["source_id"], f["locator"], figure_id):
        assert str(value) in text, (value, text)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-hover.png"
    driver.save_screenshot(str(shot))
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 0


def test_a_claim_shows_the_studys_figure_and_the_verdict(page):
    from selenium.webdriver.support.ui import WebDriverWait

    from ketamine_ssri_evidence import loader

    driver, _ = page
    claims = loader.load("claim_checks").set_index("figure_id")
    label, tip = _hover_first(driver, "points_claims")
    WebDriverWait(driver, 10).until(lambda d: tip.is_displayed() and tip.text.strip())
    figure_id = label.rsplit("(", 1)[1].rstrip(")")
    c = claims.loc[figure_id]
    from ketamine_ssri_evidence.report import labels

    assert labels("verdict")[c["verdict"]] in tip.text
    if isinstance(c["study_value_text"], str):
        assert c["study_value_text"] in tip.text


def test_filters_drive_every_chart(page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver, _ = page
    expected = _expected_points()
    selects = driver.find_elements(By.CSS_SELECTOR, "#filters select")
    assert len(selects) == 3  # measure, treatment, population
    Select(selects[0]).select_by_value("remission_rate")
    count = "return document.querySelectorAll('g.{}_marks > path').length"
    try:
        WebDriverWait(driver, 10).until(lambda d: d.execute_script(count.format("points_response_rate")) == 0)
        assert driver.execute_script(count.format("points_remission_rate")) == expected["points_remission_rate"]
    finally:
        Select(selects[0]).select_by_value("all")
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script(count.format("points_response_rate")) == expected["points_response_rate"]
    )


def test_tables_sort_and_search(page):
    from selenium.webdriver.common.by import By

    from ketamine_ssri_evidence import loader

    driver, _ = page
    claims = loader.load("claim_checks")
    search = driver.find_element(By.ID, "claims-table-search")
    target = claims["figure_id"].iloc[0]
    search.send_keys(target)
    visible = driver.execute_script(
        "return Array.from(document.querySelectorAll('#claims-table tbody tr')).filter(r => !r.hidden).length"
    )
    assert visible == int(claims.astype(str).apply(lambda col: col.str.contains(target, regex=False)).any(axis=1).sum())
    search.clear()
    driver.execute_script("arguments[0].dispatchEvent(new Event('input'))", search)
    header = driver.find_elements(By.CSS_SELECTOR, "#claims-table th")[0]
    driver.execute_script("arguments[0].click()", header)
    first = driver.execute_script("return document.querySelector('#claims-table tbody tr td').textContent")
    assert first == sorted(claims["figure_id"].astype(str), key=lambda s: s)[0]
