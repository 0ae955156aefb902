"""Every template keeps to the Content-Security-Policy (core.security): nothing inline that the browser would refuse.

The policy has no 'unsafe-inline' for scripts or styles, so an inline `<script>` with content, an `on*=` event
attribute, a `javascript:` URL, a `<style>` block or a `style=""` attribute would silently stop working in the
browser. This scans every template in templates/ and in each app's templates/ folder, so an addition by anyone
fails here, loudly, with the file and line. PDF templates (a pdf/ folder, or a name ending in _pdf) are exempt from the
style rules only: WeasyPrint renders them on the server (records/pdf.py, payments/receipts.py) and no browser ever
applies their CSS.
"""

import re
from pathlib import Path

import pytest

from tests.servers import ROOT

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>\s*\S", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
RULES = {
    "inline <script> with content (put it in static/js/)": INLINE_SCRIPT,
    "on*= event-handler attribute (use addEventListener in static/js/)": EVENT_ATTRIBUTE,
    "javascript: URL": JAVASCRIPT_URL,
    "<style> block (put it in static/css/)": STYLE_BLOCK,
    'style="" attribute (use a class in static/css/)': STYLE_ATTRIBUTE,
}
SERVER_RENDERED_ONLY = {"<style> block (put it in static/css/)", 'style="" attribute (use a class in static/css/)'}


def templates() -> list[Path]:
    folders = [ROOT / "templates", *(p for p in ROOT.glob("*/templates") if p.parent.name not in {".venv", "node_modules"})]
    return sorted(path for folder in folders for path in folder.rglob("*") if path.suffix in {".html", ".txt", ".svg"})


def violations(text: str, name: Path) -> list[str]:
    found = []
    for rule, pattern in RULES.items():
        if rule in SERVER_RENDERED_ONLY and ("pdf" in name.parts or name.stem.endswith("_pdf")):
            continue
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{name}:{line}: {rule}")
    return found


def test_the_scan_finds_the_templates():
    names = {str(path.relative_to(ROOT)) for path in templates()}

    assert "templates/base.html" in names
    assert "templates/appointments/_style.html" in names


def test_no_template_has_anything_inline_that_the_csp_refuses():
    found = [line for path in templates() for line in violations(path.read_text(encoding="utf-8"), path.relative_to(ROOT))]

    assert not found, "Inline code the Content-Security-Policy blocks:\n" + "\n".join(found)


@pytest.mark.parametrize(("snippet", "rule"), [
    ('<script>alert(1)</script>', "inline <script>"),
    ('<script type="module">\n import "./x.js";</script>', "inline <script>"),
    ('<select name="p" onchange="this.form.submit()">', "on*= event-handler"),
    ('<body ONLOAD="go()">', "on*= event-handler"),
    ('<a href="javascript:void(0)">x</a>', "javascript: URL"),
    ("<a href=' javascript:go()'>x</a>", "javascript: URL"),
    ("<style>.x { color: red }</style>", "<style> block"),
    ('<div class="bar" style="width: 40%">', 'style="" attribute'),
])
def test_each_kind_of_inline_code_is_caught(snippet, rule):
    assert any(rule in line for line in violations(snippet, Path("templates/probe.html")))


@pytest.mark.parametrize("snippet", [
    '<script src="/static/js/feed.js" defer></script>',
    "<script src=\"{% url 'javascript-catalog' %}\"></script>",
    '<button type="submit" data-online="yes">Go</button>',
    '<a href="/onboarding/">Information</a>',
    '<p>Style and conduct: see the notes.</p>',
    '<input name="onset" value="2024-01-01">',
])
def test_external_scripts_and_lookalikes_pass(snippet):
    assert violations(snippet, Path("templates/probe.html")) == []


def test_pdf_templates_may_carry_their_own_styles_but_not_scripts():
    pdf = Path("records/templates/records/pdf/section.html")

    assert violations("<style>h1 { color: teal }</style>", pdf) == []
    assert violations("<style>h1 { color: teal }</style>", Path("templates/payments/receipt_pdf.html")) == []
    assert violations("<style>h1 { color: teal }</style>", Path("templates/payments/receipt.html"))
    assert violations("<script>alert(1)</script>", pdf)
