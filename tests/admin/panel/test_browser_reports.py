"""Relatórios in Chromium: every panel draws its charts (pixels on the canvas, from the
vendored Chart.js) and shows its tables, on a desk and on a 390 px phone without sideways
scrolling; screenshots in tests/artifacts/reports-*.png."""

from __future__ import annotations

from scheduler_core.reports.panels import PANELS

from .conftest import browser_login, shot

# Non-transparent pixels of a canvas: > 0 once Chart.js drew axes, labels and data.
INKED = """c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""


def _owner(panel_db):
    accs = panel_db[2]
    return accs.owner_login, accs.owner_password


def _check_panel(pg, name: str) -> None:
    pg.goto(pg.base + f"/admin/relatorios/{name}")
    pg.wait_for_selector("canvas[data-drawn='1']")
    canvases = pg.locator("canvas[data-chart]")
    assert canvases.count() >= 1
    for i in range(canvases.count()):
        assert canvases.nth(i).evaluate(INKED) > 500, f"{name}: chart {i + 1} is blank"
    assert pg.locator("section.report-table table").first.is_visible()
    assert pg.locator("[data-basis]").inner_text().startswith("Base de data:")


def test_every_panel_draws_its_charts_on_a_desk(desk, panel_db):
    browser_login(desk, *_owner(panel_db))
    desk.click("nav >> text=Relatórios")
    desk.wait_for_url("**/admin/relatorios")
    shot(desk, "reports-index")
    for name in PANELS:
        _check_panel(desk, name)
        shot(desk, f"reports-desk-{name}")


def test_panels_fit_a_phone(phone, panel_db):
    browser_login(phone, *_owner(panel_db))
    for name in PANELS:
        _check_panel(phone, name)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, f"{name}: the page scrolls sideways ({width} px)"
        shot(phone, f"reports-phone-{name}")


def test_changing_the_period_redraws(desk, panel_db):
    browser_login(desk, *_owner(panel_db))
    desk.goto(desk.base + "/admin/relatorios/geral")
    desk.select_option("select[name=periodo]", "mes_anterior")
    desk.wait_for_url("**periodo=mes_anterior**")
    desk.wait_for_selector("canvas[data-drawn='1']")
    assert "Mês anterior" in desk.locator("select[name=periodo] option:checked").inner_text()
