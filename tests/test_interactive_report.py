"""The report's interactive timeline and comparison, driven in a real headless Chromium: zoom, pan, hover, filter,
each checked against the run folder's own tables."""

import os
import re

import numpy as np
import pandas as pd
import pytest

from spaceground.api import compare, run_scenario
from spaceground.report import write_report
from spaceground.results import read_run, routes_of

from .browser import Browser

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICKSTART = os.path.join(ROOT, "scenarios", "quickstart.yaml")
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts")
START = pd.Timestamp("2025-10-03T12:00:00Z")


@pytest.fixture(scope="module")
def run_page(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("run") / "run")
    run_scenario(QUICKSTART, policy="lookahead", output=out)
    return out, write_report(out)


@pytest.fixture(scope="module")
def browser(run_page, tmp_path_factory):
    _, page = run_page
    b = Browser("file://" + page, tmp_path_factory.mktemp("profile"))
    b.wait_for("window.spacegroundTimeline !== undefined")
    yield b
    b.close()


def _js_number(v):
    """A number as JavaScript writes it (2000, 12.5)."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _in_view(df, a_col, b_col, view):
    a = (df[a_col] - START).dt.total_seconds()
    b = (df[b_col] - START).dt.total_seconds()
    return (b >= view[0]) & (a <= view[1])


def test_the_whole_span_draws_every_window_and_downlink(browser, run_page):
    res = read_run(run_page[0])
    drawn = browser.js("window.spacegroundTimeline.drawn()")
    assert drawn["downlink"] == len(res.downlinks) > 0
    assert drawn["contact"] == len(res.contacts)
    assert drawn["capture"] == len(res.workloads)
    assert drawn["onboard"] == int(res.workloads.onboard_start_utc.notna().sum()) > 0
    assert (
        browser.js("document.getElementById('sg-tl-range').textContent") == "2025-10-03 12:00 to 2025-10-04 12:00 UTC"
    )


def test_the_wheel_zooms_around_the_pointer_and_drag_pans(browser, run_page):
    res = read_run(run_page[0])
    browser.js("document.getElementById('sg-tl-reset').click()")
    x, y = browser.centre_of("#sg-tl-svg")
    box = browser.js(
        "(() => { const b = document.getElementById('sg-tl-svg').getBoundingClientRect();"
        " return [b.left, b.width]; })()"
    )
    px_per_unit = box[1] / 1100.0
    t_under = (x - box[0] - 150 * px_per_unit) / (950 * px_per_unit) * 86400.0  # the time under the pointer
    browser.wheel(x, y, -600)
    browser.wait_for("window.spacegroundTimeline.view()[1] - window.spacegroundTimeline.view()[0] < 86000")
    view = browser.js("window.spacegroundTimeline.view()")
    assert view[1] - view[0] == pytest.approx(86400 * 1.0015**-600, rel=1e-6)
    # The time under the pointer stays under it.
    assert (t_under - view[0]) / (view[1] - view[0]) == pytest.approx(t_under / 86400.0, abs=1e-6)
    drawn = browser.js("window.spacegroundTimeline.drawn()")
    assert drawn["downlink"] == int(_in_view(res.downlinks, "start_utc", "end_utc", view).sum())
    assert drawn["contact"] == int(_in_view(res.contacts, "aos_utc", "los_utc", view).sum())
    label = browser.js("document.getElementById('sg-tl-range').textContent")
    first = (START + pd.Timedelta(seconds=view[0])).strftime("%Y-%m-%d %H:%M")
    assert label.startswith(first)
    # Drag 200 px to the right: the view moves earlier by 200 px worth of time.
    span = view[1] - view[0]
    browser.mouse("mousePressed", x, y, button="left", clickCount=1)
    browser.mouse("mouseMoved", x + 200, y, button="left")
    browser.mouse("mouseReleased", x + 200, y, button="left", clickCount=1)
    moved = browser.js("window.spacegroundTimeline.view()")
    assert moved[1] - moved[0] == pytest.approx(span, rel=1e-9)
    assert view[0] - moved[0] == pytest.approx(min(view[0], 200 / (950 * px_per_unit) * span), rel=1e-6)


def test_hovering_a_downlink_shows_its_capture_route_and_bytes(browser, run_page):
    res = read_run(run_page[0])
    browser.js("document.getElementById('sg-tl-reset').click()")
    browser.js("document.getElementById('sg-tl-in').click(); document.getElementById('sg-tl-in').click()")
    n = browser.js("document.querySelector('#sg-tl-svg rect.sg-downlink').getAttribute('data-n')")
    x, y = browser.centre_of(f'#sg-tl-svg rect[data-n="{n}"]')
    browser.mouse("mouseMoved", x, y)
    browser.wait_for("document.getElementById('sg-tip').style.display === 'block'")
    text = browser.js("document.getElementById('sg-tip').textContent")
    cid = int(re.search(r"capture (\d+) ", text).group(1))
    d = res.downlinks[res.downlinks.capture_id == cid].iloc[0]
    w = res.workloads.set_index("capture_id").loc[cid]
    route = routes_of(res.workloads, res.isl_transfers)[res.workloads.capture_id == cid].iloc[0]
    assert text.startswith(f"downlink: {d.satellite}\n")
    assert f"{_js_number(round(d.bytes / 1e6, 1))} MB" in text
    assert f"({w.workload}" in text and f"route {route}; {w.status}" in text
    assert f"station {d.station}" in text
    browser.mouse("mouseMoved", 2, 2)


def test_the_satellite_filter_hides_its_row_and_items_and_only_those(browser, run_page):
    res = read_run(run_page[0])
    browser.js("document.getElementById('sg-tl-reset').click()")
    name = "LANDSAT 9"
    k = browser.js(
        f"Array.from(document.querySelectorAll('#sg-tl-sats label')).findIndex(l => l.textContent.trim() === {name!r})"
    )
    assert k >= 0
    x, y = browser.centre_of(f'#sg-tl-sats input[data-sat="{k}"]')
    browser.click(x, y)
    browser.wait_for(f"window.spacegroundTimeline.hidden().includes({k})")
    drawn = browser.js("window.spacegroundTimeline.drawn()")
    others = res.downlinks[res.downlinks.satellite.astype(str) != name]
    assert drawn["downlink"] == len(others) < len(res.downlinks)
    assert drawn["capture"] == int((res.workloads.satellite.astype(str) != name).sum())
    rows = browser.js("Array.from(document.querySelectorAll('#sg-tl-svg text.sg-row')).map(t => t.textContent)")
    assert name not in rows and "LANDSAT 8" in rows and "SVALBARD" in rows
    os.makedirs(ARTIFACTS, exist_ok=True)
    browser.js("document.getElementById('sg-tl').scrollIntoView()")
    browser.screenshot(os.path.join(ARTIFACTS, "report_timeline.png"))
    x, y = browser.centre_of(f'#sg-tl-sats input[data-sat="{k}"]')
    browser.click(x, y)  # and back
    browser.wait_for(f"!window.spacegroundTimeline.hidden().includes({k})")
    assert browser.js("window.spacegroundTimeline.drawn()")["downlink"] == len(res.downlinks)


def test_the_page_fetches_nothing(run_page):
    text = open(run_page[1]).read()
    assert not re.search(r"<script[^>]*\bsrc=", text) and "<link" not in text and "<img" not in text
    assert not re.search(r"(?:src|href)=\"(?!#)", text) and not re.search(r"url\((?!#)", text)
    assert "fetch(" not in text and "XMLHttpRequest" not in text


def test_the_comparison_filters_policies_in_figure_and_table(tmp_path):
    out = str(tmp_path / "cmp")
    compare(QUICKSTART, ["ground-only", "onboard-first", "lookahead"], bound=False, output=out)
    page = write_report(out)
    lat = pd.read_parquet(os.path.join(out, "compare_latency.parquet"))
    b = Browser("file://" + page, tmp_path / "profile")
    try:
        b.wait_for("window.spacegroundCompare !== undefined")
        assert b.js("window.spacegroundCompare.drawn") == 3
        # The comparison table fits the page: no sideways scrolling, of the page or of the table.
        widths = b.js(
            "[document.documentElement.scrollWidth, window.innerWidth,"
            " document.getElementById('sg-cmp-table').getBoundingClientRect().width, document.body.clientWidth]"
        )
        assert widths[0] <= widths[1] and widths[2] <= widths[3], widths
        x, y = b.centre_of('#sg-cmp-pols input[data-k="1"]')
        b.click(x, y)
        b.wait_for("window.spacegroundCompare.drawn === 2")
        shown = b.js(
            "Array.from(document.querySelectorAll('#sg-cmp-table thead th[data-policy]'))"
            ".filter(c => c.style.display !== 'none').map(c => c.getAttribute('data-policy'))"
        )
        assert shown == ["ground-only", "lookahead"]
        cells = b.js(
            "Array.from(document.querySelectorAll('#sg-cmp-table tbody tr')).find(r => r.cells[0].textContent =="
            " 'net_value').querySelectorAll('td[data-policy]').length"
        )
        assert cells == 3  # hidden, not removed
        table = pd.read_csv(os.path.join(out, "compare.csv"))
        want = table[table.policy == "lookahead"].net_value.mean()
        got = b.js(
            "Array.from(document.querySelectorAll('#sg-cmp-table tbody tr')).find(r => r.cells[0].textContent =="
            " 'net_value').querySelector('td[data-policy=\"lookahead\"]').textContent"
        )
        assert got == f"{want:,.4g}"
        # Hover the lookahead curve: its delivered share and median, from the latency table.
        x, y = b.js(
            "(() => { const p = document.querySelector('#sg-cmp-svg path[data-k=\"2\"]');"
            " p.scrollIntoView({block: 'center'}); const n = p.getTotalLength(), q = p.getPointAtLength(n * 0.5);"
            " const m = p.getScreenCTM(); return [q.x * m.a + m.e, q.y * m.d + m.f]; })()"
        )
        b.mouse("mouseMoved", x, y)
        b.wait_for("document.getElementById('sg-tip').style.display === 'block'")
        text = b.js("document.getElementById('sg-tip').textContent")
        mine = lat[lat.policy == "lookahead"]
        done = mine.latency_s.dropna() / 60
        assert text.startswith("lookahead\n")
        assert f"{len(done)} of {len(mine)} delivered" in text
        assert f"p50 {_js_number(round(float(np.percentile(done, 50)), 1))} min" in text
    finally:
        b.close()
