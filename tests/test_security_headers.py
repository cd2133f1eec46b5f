"""Security headers on every answer, cookies, and templates the strict Content-Security-Policy can serve as they are.

Every route of the app's own URL map is called (signed in as an admin, and anonymously), so a new page is checked
without being listed here.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from werkzeug.routing.converters import NumberConverter

from tests.helpers import sign_in_as_admin

ROOT = Path(__file__).resolve().parent.parent
PWA_PAGES = [p for p in (ROOT / "pwa").rglob("*.html") if "node_modules" not in p.parts]
TEMPLATES = sorted([*(ROOT / "server/templates").rglob("*.html"), *PWA_PAGES])
HTTPS = "https://comptoir.example.org"
# What a page may load besides its own origin: images drawn in the page (QR codes) and nothing else.
ALLOWED_SOURCES = {"'self'", "'none'", "data:", "blob:"}
REQUIRED_DIRECTIVES = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}
# The volunteer app's shell also compiles the QR decoder's WebAssembly (docs/pwa.md): that one keyword, there only.
WASM_PAGES = {"/app/", "/app/enrol"}
WASM = "'wasm-unsafe-eval'"


# Headers.


def parse_csp(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict_headers(response, where: str, *, wasm: bool = False) -> None:
    headers = response.headers
    csp = parse_csp(headers.get("Content-Security-Policy", ""))
    required = REQUIRED_DIRECTIVES | ({"script-src": {"'self'", WASM}} if wasm else {})
    for directive, sources in required.items():
        assert set(csp.get(directive, [])) == sources, (where, directive, csp.get(directive))
    for directive, sources in csp.items():
        unexpected = set(sources) - ALLOWED_SOURCES - ({WASM} if wasm and directive == "script-src" else set())
        assert not unexpected, f"{where}: {directive} allows {unexpected} (no inline code, no other origin)"
    assert not {"data:", "blob:"} & set(csp["default-src"] + csp["script-src"] + csp["style-src"]), where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "no-referrer", where
    assert headers.get("X-Frame-Options") == "DENY", where


def assert_cookies(response, where: str, *, secure: bool) -> None:
    for cookie in response.headers.getlist("Set-Cookie"):
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert "httponly" in attributes, (where, cookie)
        assert "samesite=lax" in cookie.lower(), (where, cookie)
        assert ("secure" in attributes) == secure, (where, cookie)


def sample_requests(app):
    """One request per route and method, with made-up values for its variables (``/static`` gets a real file)."""
    for rule in app.url_map.iter_rules():
        values = {name: 1 if isinstance(conv, NumberConverter) else "x" for name, conv in rule._converters.items()}
        if rule.endpoint == "static":
            values = {"filename": "admin.css"}
        url = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


def test_every_answer_carries_the_headers(app, client):
    sign_in_as_admin(app, client, "admin@example.org")
    anonymous = app.test_client()
    kinds = set()
    for method, url in sample_requests(app):
        for who, caller in (("admin", client), ("anonymous", anonymous)):
            response = caller.open(url, method=method, json={} if method != "GET" else None)
            where = f"{who} {method} {url} → {response.status_code}"
            assert response.status_code < 500, where
            assert_strict_headers(response, where, wasm=url in WASM_PAGES and response.status_code == 200)
            assert "Strict-Transport-Security" not in response.headers, where  # plain http here
            assert_cookies(response, where, secure=False)
            kinds.add(response.mimetype)
            if response.mimetype == "text/html":
                problems = page_problems(response.get_data(as_text=True))
                assert not problems, f"{where}: {problems}"
            response.close()  # a streamed export, left open, would end its request later, inside another one
    assert {"text/html", "application/json"} <= kinds


def test_only_the_app_shell_may_compile_webassembly(client):
    for url in sorted(WASM_PAGES):
        response = client.get(url)
        assert response.status_code == 200
        assert parse_csp(response.headers["Content-Security-Policy"])["script-src"] == ["'self'", WASM], url
    for url in ("/auth/sign-in", "/app/manifest.webmanifest", "/sw.js", "/assets/app.js"):
        assert WASM not in client.get(url).headers["Content-Security-Policy"], url


def test_json_errors_carry_the_headers(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404 and response.is_json
    assert_strict_headers(response, "JSON 404")


@pytest.fixture
def https_app(app_config):
    from server import create_app
    from server.extensions import db

    app = create_app(app_config | {"BASE_URL": HTTPS})
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def test_https_adds_hsts_and_secure_cookies(https_app):
    client = https_app.test_client()
    response = client.get("/auth/sign-in", base_url=HTTPS)
    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 365 * 24 * 3600
    assert response.headers.getlist("Set-Cookie"), "the page stores its CSRF token in the session"
    assert_cookies(response, "https sign-in page", secure=True)
    assert_strict_headers(response, "https sign-in page")


def test_no_hsts_over_plain_http_even_when_base_url_is_https(https_app):
    """A request that reached the app over http (no trusted proxy said otherwise) gets no HSTS: browsers ignore it
    there anyway, and it must come from the https origin."""
    response = https_app.test_client().get("/auth/sign-in")
    assert "Strict-Transport-Security" not in response.headers


def test_no_hsts_nor_secure_cookie_with_an_http_base_url(app, client):
    response = client.get("/auth/sign-in", base_url="https://localhost")
    assert "Strict-Transport-Security" not in response.headers
    assert_cookies(response, "http base URL", secure=False)


def test_the_session_cookie_after_sign_in(app, client):
    sign_in_as_admin(app, client, "admin@example.org")
    response = client.get("/admin/")
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("comptoir_session=")]
    assert cookies, "the session is renewed on every request (idle lifetime)"
    cookie = cookies[0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie and "Expires=" in cookie
    assert "Secure" not in cookie and "Domain=" not in cookie


# Templates: nothing the CSP would block, so nothing needs 'unsafe-inline'.

JINJA_STATEMENT = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)
JINJA_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)
# Attributes given to a macro or a WTForms field inside {{ … }}, e.g. field(style="…") or field(onclick="…").
JINJA_ATTRIBUTE = re.compile(
    r"(?<![\w-])(style|on(?:click|dblclick|load|error|submit|change|input|focus|blur|key\w*|mouse\w*|pointer\w*"
    r"|touch\w*|drag\w*|drop|scroll|select|reset|invalid|toggle|copy|cut|paste|contextmenu|wheel|beforeunload))\s*=",
    re.I,
)


class InlineCodeFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower() for name, _ in attrs}
        line = self.getpos()[0]
        if tag == "script" and "src" not in names:
            self.problems.append(f"line {line}: inline <script>")
        if tag == "style":
            self.problems.append(f"line {line}: <style> element")
        for name, value in attrs:
            name = name.lower()
            if re.fullmatch(r"on[a-z]+", name):
                self.problems.append(f"line {line}: {name}= handler on <{tag}>")
            if name == "style":
                self.problems.append(f"line {line}: style= on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"line {line}: javascript: URL in {name}= on <{tag}>")


def page_problems(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def template_problems(text: str) -> list[str]:
    """What the CSP would block in a template: the HTML with Jinja blocks blanked, and attributes set from Jinja."""
    problems = [
        f"Jinja sets {m.group(1)}=" for e in JINJA_EXPRESSION.findall(text) for m in JINJA_ATTRIBUTE.finditer(e)
    ]
    html = JINJA_STATEMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    html = JINJA_EXPRESSION.sub(lambda m: "x" + "\n" * m.group(0).count("\n"), html)
    return problems + page_problems(html)


def test_there_are_templates_to_scan():
    assert any(path.name == "base.html" for path in TEMPLATES) and PWA_PAGES


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_inline_code_or_style(path):
    problems = template_problems(path.read_text(encoding="utf-8"))
    assert not problems, f"{path.relative_to(ROOT)}: {problems}"


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        "<script type='module'>import x from './x.js'</script>",
        '<button onclick="go()">Go</button>',
        "<body onload=init()>",
        '<p style="color: red">',
        "<style>p { color: red }</style>",
        '<a href="javascript:go()">Go</a>',
        '<div {% if x %}style="display:none"{% endif %}>',
        '{{ form.name(style="width: 3em") }}',
        '{{ field(onchange="this.form.submit()") }}',
    ],
)
def test_the_scan_finds_inline_code(snippet):
    assert template_problems(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{{ url_for('pwa.asset', filename='admin.js') }}\" defer></script>",
        '<script type="module" src="/assets/app.js"></script>',
        '<option value="{{ p.id }}"{% if p.id == point_id %} selected{% endif %}>{{ p.name }}</option>',
        "{% set one = 1 %}<p>{{ one }}</p>",
        '<a href="/admin/" data-onclick="no">styled by the stylesheet</a>',
    ],
)
def test_the_scan_accepts_external_scripts(snippet):
    assert not template_problems(snippet)
