"""Panel routes take ids in ASCII digits only (issue 8, finding 4): Python's ``\\d`` also
matches Arabic-Indic, Devanagari or full-width digits, so ``/admin/tutores/١`` was tutor 1. And
at most nine of them: a larger id exists in no table, and 19 digits overflowed SQLite (500)."""

from __future__ import annotations

from .conftest import logged_in, page_csrf

OTHER_ONES = ["\u0661", "\u0967", "\uff11"]  # "1" in Arabic-Indic, Devanagari, full-width
HUGE = ["1000000000", "2147483648", "9" * 19, "9" * 20, "9" * 5000]


def _id_routes(app, method: str) -> list[str]:
    """Every panel route of ``method`` with an {id} in its path."""
    paths = set()
    for route in app.router.routes():
        formatter = route.resource.get_info().get("formatter", "") if route.resource else ""
        if route.method == method and formatter.startswith("/admin") and "{id}" in formatter:
            paths.add(formatter)
    return sorted(paths)


async def test_panel_ids_in_other_scripts_are_404(client, panel_db):
    await logged_in(client, panel_db)
    app = client.server.app
    pages, forms = _id_routes(app, "GET"), _id_routes(app, "POST")
    assert {"/admin/tutores/{id}", "/admin/pets/{id}", "/admin/agendamentos/{id}"} <= set(pages)
    assert len(forms) >= 10
    assert (await client.get("/admin/tutores/1")).status == 200
    assert (await client.get("/admin/pets/1")).status == 200
    for one in OTHER_ONES:
        for page in pages:
            response = await client.get(page.replace("{id}", one), allow_redirects=False)
            assert response.status == 404, (page, one, response.status)
        for form in forms:
            response = await client.post(form.replace("{id}", one), allow_redirects=False)
            assert response.status == 404, (form, one, response.status)


async def test_panel_ids_beyond_nine_digits_are_404(client, panel_db):
    await logged_in(client, panel_db)
    app = client.server.app
    csrf = await page_csrf(client)
    for method in ("GET", "POST"):
        data = {"csrf_token": csrf} if method == "POST" else None
        for path in _id_routes(app, method):
            for big in HUGE:
                response = await client.request(
                    method, path.replace("{id}", big), data=data, allow_redirects=False
                )
                assert response.status == 404, (method, path, big[:20], response.status)
    assert (await client.get("/admin/tutores/000000001")).status == 200  # nine digits: tutor 1
