"""The dashboard leads somewhere: each figure links to the filtered list behind it."""

import re
from html import unescape

from sqlalchemy import select

from models import RequestLog
from models import db
from tests.admin.helpers import page


def links(html: str) -> dict[str, str]:
    """Each link on the page as {text with tags stripped: href}."""
    out = {}
    for href, inner in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', html, re.S):
        out[" ".join(re.sub(r"<[^>]+>", " ", inner).split())] = unescape(href)
    return out


def test_figures_link_to_their_lists(admin_client, scim, make_user):
    make_user("Ørjan@example.com")
    scim.get("Users/nobody")
    html = page(admin_client.get("/admin/"))
    found = links(html)
    assert found["1 active"] == "/admin/directory?state=active"
    assert found["0 waiting for a seat"] == "/admin/directory?state=waiting"
    errors = [href for text, href in found.items() if "errors=1" in href]
    assert errors and all("since=" in href for href in errors)
    # Followed, the error link lists the failed lookup and not the successful POST.
    listed = page(admin_client.get(errors[0]))
    assert "/scim/v2/Users/nobody" in listed and "POST /scim/v2/Users" not in listed
    last = db.session.execute(select(RequestLog.id).order_by(RequestLog.id.desc())).scalar()
    assert f'href="/admin/audit/requests/{last}"' in html
    assert re.search(r'href="/admin/audit/changes/\d+"', html)


def test_numbers_have_thousands_separators(admin_client, monkeypatch):
    from services.readmodels import dashboard

    counts = dashboard.user_counts
    monkeypatch.setattr(dashboard, "user_counts",
                        lambda: {**counts(), "active": 8565, "hidden": 12345})
    html = page(admin_client.get("/admin/"))
    assert '<span class="num">8,565</span> active' in html
    assert "12,345 hidden" in html
    # Grouped as the reader's language writes numbers (CLDR, through Babel).
    german = page(admin_client.get("/admin/", headers={"Accept-Language": "de-DE,de;q=0.9"}))
    assert '<span class="num">8.565</span> active' in german
    unknown = page(admin_client.get("/admin/", headers={"Accept-Language": "xx-YY, *"}))
    assert '<span class="num">8,565</span> active' in unknown
