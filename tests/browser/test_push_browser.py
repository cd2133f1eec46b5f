"""Web Push on the browser's side, in real Chromium against the real server and database.

- The volunteer app's "Notifications" section and the member page's button subscribe and unsubscribe through the
  browser's Push API. The sandbox has no push service to reach, so ``PushManager.prototype.subscribe`` and
  ``getSubscription`` are replaced (an init script) by a stub that hands out a subscription with real-looking keys
  (a P-256 point and a 16-byte secret made here) and records how it was called; the permission is Chromium's own,
  granted to the context. What the server kept is read from its database.
- The two service workers' ``push`` handlers get real pushes through the DevTools protocol
  (``ServiceWorker.deliverPushMessage``: the browser decrypts nothing, it hands the data to the worker as a push
  service would) and the notifications they show are read back with ``registration.getNotifications()``.
- Their ``notificationclick`` handlers are run by a synthetic ``NotificationEvent`` dispatched inside the worker on
  the real notification. Chrome lets a worker focus or open a window only during a trusted click, so
  ``WindowClient.focus`` and ``clients.openWindow`` are replaced by recorders there; ``WindowClient.navigate``
  needs no click and is the real one (the page really moves).
- Every device API call carries ``X-Comptoir-Pending``, the outbox's size; ``/api/me``'s ``assigned`` shows.
"""

import base64
import json
import secrets
import time
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from server.extensions import db
from server.models import Device, Distribution, Household, PushSubscription, User
from server.push_keys import application_server_key
from tests.browser import test_volunteer_app as screens
from tests.browser.conftest import PHONE
from tests.browser.shell import copy_built_pwa, wait_for, wait_for_worker
from tests.browser.test_member_pages import make_members
from tests.browser.test_volunteer_app import POINT, World, assert_made_for_one_hand, open_by_code, start_day

world = screens.world  # the screens' tests' distribution (a fixture): today, at the Maison de quartier du Luzard


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the browser's side; the server's push tests run on both backends


@pytest.fixture
def dist(tmp_path):
    return copy_built_pwa(tmp_path / "dist")


@pytest.fixture
def app_config(app_config, dist) -> dict:
    return app_config | {"PWA_DIST": str(dist)}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_subscription() -> dict:
    """What ``PushSubscription.toJSON()`` gives: an FCM endpoint (a push service the server accepts), the browser's
    ECDH public key (an uncompressed P-256 point) and its 16-byte auth secret."""
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {
        "endpoint": f"https://fcm.googleapis.com/fcm/send/{secrets.token_urlsafe(16)}:{secrets.token_urlsafe(40)}",
        "expirationTime": None,
        "keys": {"p256dh": b64url(point), "auth": b64url(secrets.token_bytes(16))},
    }


# The stub of the browser's push subscription. Its state lives in sessionStorage, so it survives a reload as the
# browser's would; `calls` records requestPermission, subscribe (with its options) and unsubscribe.
PUSH_STUB = """(() => {
    const SUBSCRIPTION = __SUBSCRIPTION__;
    const KEY = 'push-stub';
    const load = () => JSON.parse(sessionStorage.getItem(KEY) || '{"key": null, "calls": []}');
    const save = (state) => sessionStorage.setItem(KEY, JSON.stringify(state));
    const encode = (bytes) =>
        btoa(String.fromCharCode(...bytes)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
    const decode = (text) =>
        Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
    const made = (key) => ({
        endpoint: SUBSCRIPTION.endpoint,
        expirationTime: null,
        options: { userVisibleOnly: true, applicationServerKey: decode(key) },
        toJSON: () => SUBSCRIPTION,
        unsubscribe: async () => {
            const state = load();
            state.key = null;
            state.calls.push(['unsubscribe']);
            save(state);
            return true;
        },
    });
    PushManager.prototype.subscribe = async function (options) {
        const given = options.applicationServerKey;
        const key = typeof given === 'string' ? given : encode(new Uint8Array(ArrayBuffer.isView(given)
            ? given.buffer.slice(given.byteOffset, given.byteOffset + given.byteLength) : given));
        const state = load();
        state.calls.push(['subscribe', { userVisibleOnly: options.userVisibleOnly, applicationServerKey: key }]);
        state.key = key;
        save(state);
        return made(key);
    };
    PushManager.prototype.getSubscription = async function () {
        const state = load();
        return state.key ? made(state.key) : null;
    };
    const request = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = async (...args) => {
        const state = load();
        state.calls.push(['requestPermission']);
        save(state);
        return request(...args);
    };
})();"""


def stub_push(context: BrowserContext, subscription: dict) -> None:
    context.grant_permissions(["notifications"])
    context.add_init_script(script=PUSH_STUB.replace("__SUBSCRIPTION__", json.dumps(subscription)))


def stub_calls(page: Page) -> list:
    return page.evaluate("JSON.parse(sessionStorage.getItem('push-stub') || '{\"calls\": []}').calls")


def server_key(app) -> str:
    with app.app_context():
        return application_server_key()


def subscriptions(app) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(PushSubscription)).all()
        return [
            {
                "endpoint": row.endpoint,
                "p256dh": row.p256dh,
                "auth": row.auth,
                "lang": row.lang,
                "user_id": row.user_id,
                "device_id": row.device_id,
                "household_id": row.household_id,
            }
            for row in rows
        ]


def push_requests(page: Page) -> list[tuple[str, str, dict]]:
    """Every push call the page makes from now on: (method, path, JSON body)."""
    seen: list[tuple[str, str, dict]] = []

    def record(request) -> None:
        path = urlsplit(request.url).path
        if "/push" in path:
            seen.append((request.method, path, request.post_data_json if request.post_data else None))

    page.on("request", record)
    return seen


# The volunteer app


def test_a_volunteer_turns_notifications_on_then_off(app, phone, world: World):
    browser_side = browser_subscription()
    stub_push(phone.context, browser_side)
    calls = push_requests(phone)
    start_day(app, phone, world, download=False)
    with app.app_context():
        victor = db.session.scalar(select(User.id).where(User.email == "victor@example.org"))
        device = db.session.scalar(select(Device.id).where(Device.name == "Téléphone du Luzard"))

    section = phone.get_by_role("region", name="Notifications")
    expect(section.get_by_role("status")).to_have_text("Notifications désactivées.")
    assert_made_for_one_hand(phone)

    # Offline, it says the network is needed, and the button waits for it.
    phone.context.set_offline(True)
    expect(section.get_by_role("status")).to_have_text(
        "Notifications désactivées. Il faut une connexion pour les activer ou les désactiver."
    )
    expect(section.get_by_role("button", name="Activer les notifications")).to_be_disabled()
    phone.context.set_offline(False)
    expect(section.get_by_role("button", name="Activer les notifications")).to_be_enabled()

    section.get_by_role("button", name="Activer les notifications").click()
    expect(phone.locator("#message")).to_have_text("Notifications activées.")
    expect(section.get_by_role("status")).to_have_text("Notifications activées pour vous sur ce téléphone.")
    expect(section.get_by_role("button", name="Désactiver les notifications")).to_be_visible()
    assert_made_for_one_hand(phone)

    key = server_key(app)
    assert stub_calls(phone) == [
        ["requestPermission"],
        ["subscribe", {"userVisibleOnly": True, "applicationServerKey": key}],
    ]
    assert calls == [
        ("GET", "/api/push/key", None),
        ("POST", "/api/push/subscriptions", {"subscription": browser_side, "lang": "fr"}),
    ]
    assert subscriptions(app) == [
        {
            "endpoint": browser_side["endpoint"],
            "p256dh": browser_side["keys"]["p256dh"],
            "auth": browser_side["keys"]["auth"],
            "lang": "fr",
            "user_id": victor,
            "device_id": device,
            "household_id": None,
        }
    ]

    # Still on after a reload (the browser's subscription and the phone's note agree).
    phone.reload()
    expect(phone.get_by_role("region", name="Notifications").get_by_role("status")).to_have_text(
        "Notifications activées pour vous sur ce téléphone."
    )

    # In English, the words follow, and so does the subscription's language (posted again).
    phone.get_by_role("button", name="English").click()
    section = phone.get_by_role("region", name="Notifications")
    expect(section.get_by_role("status")).to_have_text("Notifications are on for you on this phone.")
    expect(section.get_by_role("button", name="Turn notifications off")).to_be_visible()
    deadline = time.monotonic() + 10
    while subscriptions(app)[0]["lang"] != "en":
        assert time.monotonic() < deadline, subscriptions(app)
        phone.wait_for_timeout(100)
    phone.get_by_role("button", name="Français").click()
    deadline = time.monotonic() + 10
    while subscriptions(app)[0]["lang"] != "fr":  # the language posted again has arrived before it is turned off
        assert time.monotonic() < deadline, subscriptions(app)
        phone.wait_for_timeout(100)

    # Off: the server forgets it (DELETE), then the browser.
    del calls[:]
    section = phone.get_by_role("region", name="Notifications")
    section.get_by_role("button", name="Désactiver les notifications").click()
    expect(phone.locator("#message")).to_have_text("Notifications désactivées.")
    expect(section.get_by_role("status")).to_have_text("Notifications désactivées.")
    expect(section.get_by_role("button", name="Activer les notifications")).to_be_visible()
    assert ("DELETE", "/api/push/subscriptions", {"endpoint": browser_side["endpoint"]}) in calls
    assert stub_calls(phone)[-1] == ["unsubscribe"]
    assert subscriptions(app) == []


def test_a_browser_that_refused_notifications_says_so(app, phone, world: World):
    phone.context.add_init_script(script="Object.defineProperty(Notification, 'permission', { get: () => 'denied' });")
    start_day(app, phone, world, download=False)
    section = phone.get_by_role("region", name="Notifications")
    expect(section.get_by_role("status")).to_have_text(
        "Notifications refusées par le navigateur : autorisez-les dans les réglages du site pour pouvoir les activer."
    )
    expect(section.get_by_role("button")).to_have_count(0)


def test_an_assigned_distribution_is_marked(app, phone, world: World):
    with app.app_context():
        distribution = db.session.get(Distribution, world.distribution)
        distribution.volunteers.append(db.session.scalar(select(User).where(User.email == "victor@example.org")))
        db.session.commit()
    start_day(app, phone, world, download=False)
    today = phone.get_by_role("list", name="Aujourd’hui")
    expect(today.get_by_role("listitem", name=POINT)).to_contain_text("Vous participez")
    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("list", name="Today").get_by_role("listitem", name=POINT)).to_contain_text(
        "You are assigned"
    )


def test_an_unassigned_distribution_is_not_marked(app, phone, world: World):
    start_day(app, phone, world, download=False)
    expect(phone.get_by_role("list", name="Aujourd’hui").get_by_role("listitem", name=POINT)).to_be_visible()
    expect(phone.get_by_text("Vous participez", exact=True)).to_have_count(0)


def test_every_device_call_says_how_many_events_wait(app, phone, world: World):
    """``X-Comptoir-Pending``: 0 with an empty outbox; after a hand-over recorded offline, the calls made when the
    network comes back say 1 (the server keeps it on the device) until the upload went through."""
    seen: list[tuple[str, str | None]] = []

    def record(request) -> None:
        if "/api/" in request.url:
            seen.append((request.url, request.headers.get("x-comptoir-pending")))

    phone.on("request", record)
    start_day(app, phone, world)
    device_calls = [(url, pending) for url, pending in seen if "/api/devices/enrol" not in url]
    assert device_calls and {pending for _url, pending in device_calls} == {"0"}, seen

    phone.context.set_offline(True)
    open_by_code(phone, world.codes["Awa D."])
    phone.get_by_text("Remise partielle, remplacement ou refus").click()
    phone.get_by_role("radio", name="Refusé : rien remis").check()
    phone.get_by_role("button", name="Valider la remise").click()
    expect(phone.get_by_role("status").filter(has_text="Enregistré")).to_be_visible()
    del seen[:]
    phone.context.set_offline(False)
    phone.get_by_role("button", name="Envoyer", exact=True).click()
    expect(phone.locator("#sync-text")).to_contain_text("Tout est envoyé")
    assert ("1" in {pending for _url, pending in seen}) and all(pending is not None for _url, pending in seen), seen
    phone.get_by_role("button", name="Accueil").click()  # one more call once the outbox is empty
    with app.app_context():
        deadline = time.monotonic() + 10
        while (pending := db.session.scalar(select(Device.pending_events))) != 0:
            assert time.monotonic() < deadline, pending
            db.session.rollback()
            phone.wait_for_timeout(100)


# The member page


def test_a_member_turns_notifications_on_then_off(app, phone):
    (member,) = make_members(app)
    browser_side = browser_subscription()
    stub_push(phone.context, browser_side)
    calls = push_requests(phone)
    phone.goto(f"/m/{member['token']}")
    section = phone.get_by_role("region", name="Notifications")
    expect(section).to_contain_text(
        "la veille du jour où vous récupérez votre panier, et si vous ne l'avez pas récupéré"
    )
    expect(section.get_by_role("status")).to_have_text("Les notifications sont désactivées.")
    button = section.get_by_role("button", name="Me prévenir par notification")
    box = button.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 48, box

    button.click()
    expect(section.get_by_role("status")).to_have_text("Les notifications sont activées sur ce téléphone.")
    off = section.get_by_role("button", name="Ne plus me prévenir")
    expect(off).to_be_visible()
    assert stub_calls(phone) == [
        ["requestPermission"],
        ["subscribe", {"userVisibleOnly": True, "applicationServerKey": server_key(app)}],
    ]
    assert calls == [
        ("GET", "/api/push/key", None),
        ("POST", f"/m/{member['token']}/push", {"subscription": browser_side, "lang": "fr"}),
    ]
    with app.app_context():
        household = db.session.scalar(select(Household.id).where(Household.page_token == member["token"]))
    assert subscriptions(app) == [
        {
            "endpoint": browser_side["endpoint"],
            "p256dh": browser_side["keys"]["p256dh"],
            "auth": browser_side["keys"]["auth"],
            "lang": "fr",
            "user_id": None,
            "device_id": None,
            "household_id": household,
        }
    ]

    phone.reload()
    expect(section.get_by_role("status")).to_have_text("Les notifications sont activées sur ce téléphone.")

    # Offline: the words say a network is needed; the button waits.
    phone.context.set_offline(True)
    expect(section.get_by_role("status")).to_have_text(
        "Les notifications sont activées sur ce téléphone. Il faut une connexion à internet pour changer cela."
    )
    expect(off).to_be_disabled()
    phone.context.set_offline(False)

    del calls[:]
    off.click()
    expect(section.get_by_role("status")).to_have_text("Les notifications sont désactivées.")
    expect(section.get_by_role("button", name="Me prévenir par notification")).to_be_visible()
    assert calls == [("DELETE", f"/m/{member['token']}/push", {"endpoint": browser_side["endpoint"]})]
    assert stub_calls(phone)[-1] == ["unsubscribe"]
    assert subscriptions(app) == []


def test_the_member_page_in_english(app, phone):
    (member,) = make_members(app)
    stub_push(phone.context, browser_subscription())
    phone.goto(f"/m/{member['token']}?lang=en")
    section = phone.get_by_role("region", name="Notifications")
    expect(section).to_contain_text("the day before your pick-up, and if your basket was not collected")
    expect(section.get_by_role("status")).to_have_text("Notifications are off.")
    section.get_by_role("button", name="Notify me").click()
    expect(section.get_by_role("status")).to_have_text("Notifications are on for this phone.")
    assert [row["lang"] for row in subscriptions(app)] == ["en"]


def test_a_browser_without_push_says_so_on_the_member_page(app, phone):
    (member,) = make_members(app)
    phone.context.add_init_script(script="delete window.PushManager;")
    phone.goto(f"/m/{member['token']}")
    section = phone.get_by_role("region", name="Notifications")
    expect(section.get_by_role("status")).to_have_text(
        "Ce navigateur ne peut pas recevoir de notifications. Sur iPhone, ajoutez d'abord cette page à l'écran "
        "d'accueil."
    )
    expect(section.get_by_role("button")).to_have_count(0)


# The service workers


def worker_registration(context: BrowserContext, page: Page, scope: str) -> tuple:
    """A DevTools session on the page, and the registration id of the worker whose scope is ``scope``, once that
    worker is activated (a push to a worker still activating is dropped)."""
    wait_for(
        page,
        f"navigator.serviceWorker.getRegistration({json.dumps(scope)}).then((r) => r?.active?.state === 'activated')",
    )
    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not (ours := [r for r in registrations if r["scopeURL"] == scope and not r["isDeleted"]]):
        assert time.monotonic() < deadline, registrations
        page.wait_for_timeout(50)
    return cdp, ours[0]["registrationId"]


def notifications(page: Page, scope: str) -> list[dict]:
    return page.evaluate(
        """async (scope) => {
            const registration = await navigator.serviceWorker.getRegistration(scope);
            return (await registration.getNotifications()).map((n) => ({
                title: n.title, body: n.body, tag: n.tag, lang: n.lang, icon: n.icon, data: n.data,
            }));
        }""",
        scope,
    )


def deliver(page: Page, cdp, origin: str, registration_id: str, scope: str, data: str, count: int) -> list[dict]:
    """One push with ``data``, then the notifications shown, once there are ``count`` of them.

    Headless Chrome now and then drops a push delivered through DevTools before the worker sees it (about one run
    in eight here, with every earlier and later push shown): when nothing new is shown after 5 s, the same push is
    delivered again, twice at most. A handler that shows nothing still fails."""
    for _attempt in range(3):
        cdp.send(
            "ServiceWorker.deliverPushMessage", {"origin": origin, "registrationId": registration_id, "data": data}
        )
        deadline = time.monotonic() + 5
        while len(shown := notifications(page, scope)) < count and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        if len(shown) >= count:
            return shown
    raise AssertionError(f"no notification for {data!r} after three pushes: {shown}")


# A tap on a notification, inside the worker: the real notification (by tag), a synthetic `notificationclick`, and
# recorders in place of focus() and openWindow(), which Chrome allows only during a trusted click.
CLICK = """async (tag) => {
    const [notification] = await self.registration.getNotifications({ tag });
    const calls = [];
    const focus = WindowClient.prototype.focus;
    const openWindow = self.clients.openWindow;
    WindowClient.prototype.focus = async function () {
        calls.push(['focus', this.url]);
        return this;
    };
    self.clients.openWindow = async (url) => {
        calls.push(['openWindow', new URL(url, self.location.href).href]);
        return null;
    };
    try {
        const waits = [];
        const event = new NotificationEvent('notificationclick', { notification });
        event.waitUntil = (promise) => waits.push(promise);
        self.dispatchEvent(event);
        await Promise.all(waits);
    } finally {
        WindowClient.prototype.focus = focus;
        self.clients.openWindow = openWindow;
    }
    return { calls, left: (await self.registration.getNotifications({ tag })).length };
}"""


def service_worker(context: BrowserContext, url: str):
    deadline = time.monotonic() + 10
    while not (found := [worker for worker in context.service_workers if worker.url == url]):
        assert time.monotonic() < deadline, [worker.url for worker in context.service_workers]
        time.sleep(0.05)
    return found[0]


def message(title: str, url: str, tag: str, lang: str = "fr", body: str = "Corps") -> str:
    return json.dumps({"title": title, "body": body, "url": url, "tag": tag, "lang": lang})


def test_the_app_worker_shows_pushes_and_opens_their_page(browser, live_server):
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR")
    context.grant_permissions(["notifications"])
    page = context.new_page()
    page.goto("/app/")
    expect(page.get_by_role("heading", name="Téléphone non enregistré")).to_be_visible()
    wait_for_worker(page)
    scope = f"{live_server}/app/"
    cdp, registration = worker_registration(context, page, scope)

    shown = deliver(page, cdp, live_server, registration, scope, message("Distribution demain", "/app/", "day"), 1)
    assert shown == [
        {
            "title": "Distribution demain",
            "body": "Corps",
            "tag": "day",
            "lang": "fr",
            "icon": f"{live_server}/static/icons/icon-192.png",
            "data": {"url": f"{live_server}/app/"},
        }
    ]
    # Not JSON: a generic notification all the same (Chrome asks every push to show one).
    shown = deliver(page, cdp, live_server, registration, scope, "{not json", 2)
    generic = [n for n in shown if n["tag"] != "day"]
    assert generic == [
        {
            "title": "Comptoir",
            "body": "Du nouveau : ouvrez Comptoir pour voir.",
            "tag": "",
            "lang": "fr",
            "icon": f"{live_server}/static/icons/icon-192.png",
            "data": {"url": None},
        }
    ]
    # JSON of the wrong shape, and a URL on another origin: shown, the URL dropped.
    odd = json.dumps({"title": 42, "body": ["x"], "url": "https://elsewhere.example/phish", "tag": "odd"})
    shown = deliver(page, cdp, live_server, registration, scope, odd, 3)
    assert [n for n in shown if n["tag"] == "odd"] == [
        {
            "title": "Comptoir",
            "body": "Du nouveau : ouvrez Comptoir pour voir.",
            "tag": "odd",
            "lang": "fr",
            "icon": f"{live_server}/static/icons/icon-192.png",
            "data": {"url": None},
        }
    ]

    worker = service_worker(context, f"{live_server}/sw.js")
    # The app is open at the notification's URL: that window is focused, the notification closed.
    assert worker.evaluate(CLICK, "day") == {"calls": [["focus", f"{live_server}/app/"]], "left": 0}
    # No URL: the open app window comes back.
    assert worker.evaluate(CLICK, "odd") == {"calls": [["focus", f"{live_server}/app/"]], "left": 0}
    # A URL in the app's scope that no window shows: the app's window goes there (for real), then is focused.
    deliver(page, cdp, live_server, registration, scope, message("Mise à jour", "/app/?from=push", "pack"), 2)
    with page.expect_navigation():
        result = worker.evaluate(CLICK, "pack")
    assert result == {"calls": [["focus", f"{live_server}/app/?from=push"]], "left": 0}
    assert page.url == f"{live_server}/app/?from=push"
    # A page outside the app (an admin page, for a coordinator): a window of its own; the app stays where it is.
    deliver(page, cdp, live_server, registration, scope, message("Conflit", "/admin/devices", "conflict"), 2)
    assert worker.evaluate(CLICK, "conflict") == {"calls": [["openWindow", f"{live_server}/admin/devices"]], "left": 0}
    assert page.url == f"{live_server}/app/?from=push"
    context.close()


def test_the_member_worker_shows_pushes_and_opens_their_page(app, browser, live_server):
    (member,) = make_members(app)
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR")
    context.grant_permissions(["notifications"])
    page = context.new_page()
    page.goto(f"/m/{member['token']}")
    expect(page.get_by_role("heading", name="Awa Diallo")).to_be_visible()
    wait_for_worker(page)
    scope = f"{live_server}/m/"
    cdp, registration = worker_registration(context, page, scope)
    url = f"{live_server}/m/{member['token']}"

    shown = deliver(
        page, cdp, live_server, registration, scope, message("Votre panier à récupérer demain", url, "reminder:1"), 1
    )
    assert shown == [
        {
            "title": "Votre panier à récupérer demain",
            "body": "Corps",
            "tag": "reminder:1",
            "lang": "fr",
            "icon": f"{live_server}/static/icons/icon-192.png",
            "data": {"url": url},
        }
    ]
    shown = deliver(page, cdp, live_server, registration, scope, "", 2)  # a push without payload
    assert [n for n in shown if n["tag"] != "reminder:1"] == [
        {
            "title": "Comptoir",
            "body": "Du nouveau : ouvrez Comptoir pour voir.",
            "tag": "",
            "lang": "fr",
            "icon": f"{live_server}/static/icons/icon-192.png",
            "data": {"url": None},
        }
    ]
    english = json.dumps({"title": "Your basket is waiting", "body": "B", "url": f"{url}?lang=en", "lang": "en"})
    shown = deliver(page, cdp, live_server, registration, scope, english, 3)
    assert {"title": "Your basket is waiting", "lang": "en", "tag": ""} in [
        {key: n[key] for key in ("title", "lang", "tag")} for n in shown
    ]

    worker = service_worker(context, f"{live_server}/m/sw.js")
    # The member's page is open at that URL: focused.
    assert worker.evaluate(CLICK, "reminder:1") == {"calls": [["focus", url]], "left": 0}
    # Another URL of the member pages: the open page goes there for real (here, in English), then is focused.
    deliver(page, cdp, live_server, registration, scope, message("Panier", f"{url}?lang=en", "uncollected"), 3)
    with page.expect_navigation():
        result = worker.evaluate(CLICK, "uncollected")
    assert result == {"calls": [["focus", f"{url}?lang=en"]], "left": 0}
    expect(page.get_by_role("heading", name="Your basket")).to_be_visible()
    context.close()


def test_the_member_worker_opens_the_page_when_no_window_is_open(app, browser, live_server):
    """With no member page open, a tap opens a window: at the notification's URL, or for a notification without
    one, at the member page this phone last kept."""
    (member,) = make_members(app)
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR")
    context.grant_permissions(["notifications"])
    page = context.new_page()
    page.goto(f"/m/{member['token']}")
    wait_for_worker(page)
    page.reload()  # through the worker, which keeps a copy of the page
    scope = f"{live_server}/m/"
    cdp, registration = worker_registration(context, page, scope)
    url = f"{live_server}/m/{member['token']}"
    deliver(page, cdp, live_server, registration, scope, message("Rappel", url, "a"), 1)
    deliver(page, cdp, live_server, registration, scope, "not json at all", 2)
    worker = service_worker(context, f"{live_server}/m/sw.js")
    page.goto("about:blank")  # the member page closed; the worker lives on while DevTools watches it
    assert worker.evaluate(CLICK, "a") == {"calls": [["openWindow", url]], "left": 0}
    generic = worker.evaluate(
        "async () => (await self.registration.getNotifications()).map((n) => n.tag)",
    )
    assert generic == [""]
    assert worker.evaluate(CLICK, "") == {"calls": [["openWindow", url]], "left": 0}
    context.close()
