"""The volunteer app's data layer in real Chromium against the real server and database: events built and hashed as
the server does (shared vectors), recorded offline into the outbox, kept across pages, uploaded once whatever
happens to the answers, refused events kept in sight, other phones' events pulled, packs refreshed with 304.

The pages here are a blank document on the app's origin (served by a Playwright route), not the app's screens:
the data modules are imported as ``/assets/<module>.js`` and driven directly, so nothing else in the page syncs
behind the test's back."""

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from server.clock import utcnow
from server.domain.devices import create_enrolment, redeem_enrolment
from server.domain.shifts import start_shift
from server.extensions import db
from server.models import (
    Device,
    Household,
    Point,
    SyncedEvent,
    User,
)
from sync import manual_codes
from sync.chain import check_chain
from sync.events import UUID7_PATTERN, new_event_id, parse_event
from tests.browser.conftest import PHONE
from tests.factories.pwa_data import PwaDataWorld as World
from tests.factories.pwa_data import pwa_data_world
from tests.phones import enrol_phone

VECTOR_DIR = Path(__file__).resolve().parents[2] / "sync/vectors"
VECTORS = json.loads((VECTOR_DIR / "events.json").read_text())
PROJECTION = json.loads((VECTOR_DIR / "projection.json").read_text())
PRICING = json.loads((VECTOR_DIR / "pricing.json").read_text())
SHORTAGES = json.loads((VECTOR_DIR / "shortages.json").read_text())
BLANK = "/__data__"
MODULES = "const [store, events, packs, sync] = await Promise.all("
MODULES += "['store', 'events', 'packs', 'sync'].map((name) => import(`/assets/${name}.js`)));"


def run(page, body: str, arg: Any = None) -> Any:
    """Run ``body`` (an async function body that sees ``store``, ``events``, ``packs``, ``sync`` and ``arg``)."""
    return page.evaluate(f"async (arg) => {{ {MODULES} {body} }}", arg)


def open_page(context):
    """A blank page on the app's origin, with the data modules loaded (so it keeps working offline)."""
    page = context.new_page()
    page.goto(BLANK)
    run(page, "return true;")
    return page


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        return pwa_data_world()


def enrol(app, page, world: World) -> dict[str, Any]:
    """Enrol a phone and start the volunteer's shift on the server (as the admin page and a passkey sign-in would),
    then keep both in the page's IndexedDB through the app's own store functions."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        if admin is None:
            admin = User(email="admin@example.org", role="admin")
            db.session.add(admin)
        volunteer = db.session.get(User, world.volunteer)
        _offer, token = create_enrolment(admin, "Téléphone du Luzard", [db.session.get(Point, world.point)])
        device, credential = redeem_enrolment(token)
        shift, shift_token = start_shift(device, volunteer, now=utcnow() - timedelta(minutes=1))
        db.session.commit()
        stored = {
            "device": {
                "id": device.public_id,
                "name": device.name,
                "points": [{"id": world.point, "name": "Maison de quartier du Luzard"}],
                "credential": credential,
            },
            "shift": {
                "id": shift.public_id,
                "token": shift_token,
                "startedAt": shift.started_at.isoformat(),
                "validUntil": shift.valid_until.isoformat(),
                "user": {"id": volunteer.id, "display_name": volunteer.display_name},
                "failures": 0,
                "locked": False,
            },
        }
    run(page, "await store.saveEnrolment(arg.device); await store.addShift(arg.shift); return true;", stored)
    return stored


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(**PHONE, base_url=live_server, locale="fr-FR")
    context.route(
        f"{live_server}{BLANK}",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>data</title>"),
    )
    yield context
    context.close()


@pytest.fixture
def page(context):
    return open_page(context)


def record(page, world: World, type_: str, payload: dict, distribution: int | None = None) -> dict:
    context = {"distributionId": distribution or world.distribution}
    return run(
        page,
        "return events.record(arg.type, arg.payload, arg.context);",
        {"type": type_, "payload": payload, "context": context},
    )


def status(page) -> dict:
    return run(page, "return sync.status();")


def sync_now(page) -> dict:
    return run(page, "return sync.syncNow();")


def stored_events(app) -> list[SyncedEvent]:
    with app.app_context():
        return list(db.session.scalars(select(SyncedEvent).order_by(SyncedEvent.position)))


def log_entries(page, distribution: int) -> list[dict]:
    return run(page, "return (await store.database()).getAllFromIndex('log', 'distribution', arg);", distribution)


# The shared vectors


def test_events_js_encodes_and_hashes_like_the_server(page):
    results = run(
        page,
        """
        const out = [];
        for (const vector of arg) {
            out.push({canonical: events.canonicalJson(vector.event), hash: await events.eventHash(vector.event)});
        }
        return out;
        """,
        VECTORS["vectors"],
    )
    for vector, result in zip(VECTORS["vectors"], results, strict=True):
        assert result["canonical"] == vector["canonical"], vector["description"]
        assert result["hash"] == vector["hash"], vector["description"]

    ids = run(page, "return [events.uuidv7(), events.uuidv7(1741046400123, new Uint8Array(10).fill(255))];")
    assert all(re.fullmatch(UUID7_PATTERN, value) for value in ids)
    assert ids[1] == new_event_id(1741046400123, 2**74 - 1)


def test_projection_js_agrees_with_the_python_projection(page):
    """Each case of sync/vectors/projection.json through ``project`` (pwa/src/projection.js): every order of the
    distribution as Python projects it, the voids, and each device's cash box seen from that device."""
    results = page.evaluate(
        """async (cases) => {
            const { project } = await import('/assets/projection.js');
            return cases.map((vector) => {
                const devices = [...new Set(vector.events.map((event) => event.device_id))];
                const views = devices.map((device) =>
                    project(vector.events.map((event) => ({ event, own: event.device_id === device }))));
                const [view] = views;
                const empty = { status: 'not_collected', outcome: null, decidedBy: null, handoverIds: [],
                                paymentIds: [], paidCents: 0 };
                return {
                    orders: vector.orders.map((id) => {
                        const order = view.orders.get(id) ?? empty;
                        return { order_id: id, status: order.status, outcome: order.outcome,
                                 decided_by: order.decidedBy, handover_ids: order.handoverIds,
                                 payment_ids: order.paymentIds, paid_cents: order.paidCents };
                    }),
                    voided: [...view.voided].sort(),
                    cash: devices.map((device_id, i) => ({ device_id, ...views[i].cash })),
                    top_ups: [...view.topUps.households].sort(([a], [b]) => a - b)
                        .map(([household_id, topped_up_cents]) => ({ household_id, topped_up_cents })),
                    top_ups_by_method: view.topUps.byMethod,
                };
            });
        }""",
        PROJECTION["cases"],
    )
    for vector, result in zip(PROJECTION["cases"], results, strict=True):
        expected = vector["expected"]
        assert result["orders"] == expected["orders"], vector["description"]
        assert result["voided"] == expected["voided"], vector["description"]
        assert result["top_ups"] == expected["top_ups"], vector["description"]
        assert result["top_ups_by_method"] == expected["top_ups_by_method"], vector["description"]
        # A device appears in Python's boxes once it counted or took cash; seen from any other, its box is empty.
        boxes = {box["device_id"]: box for box in expected["cash"]}
        for box in result["cash"]:
            want = boxes.get(box["device_id"])
            if want is None:
                want = {"opening_cents": None, "cash_payments_cents": 0, "expected_cents": 0, "counted_cents": None}
                want |= {"difference_cents": None, "after_count_cents": 0, "expected_at_count_cents": 0}
                want["difference_at_count_cents"] = None
                want["cash_top_ups_cents"] = 0
            assert box == {
                "device_id": box["device_id"],
                "openingCents": want["opening_cents"],
                "cashPaymentsCents": want["cash_payments_cents"],
                "expectedCents": want["expected_cents"],
                "countedCents": want["counted_cents"],
                "differenceCents": want["difference_cents"],
                "afterCountCents": want["after_count_cents"],
                "expectedAtCountCents": want["expected_at_count_cents"],
                "differenceAtCountCents": want["difference_at_count_cents"],
                "cashTopUpsCents": want["cash_top_ups_cents"],
            }, vector["description"]
        assert {box["device_id"] for box in result["cash"]} >= set(boxes), vector["description"]


def test_pricing_js_agrees_with_sync_pricing(page):
    """Every line of sync/vectors/pricing.json through ``lineDueCents`` (weighed lines too), every hand-over
    through ``dueFor``, every typed weight through ``parseGrams`` (pwa/src/pricing.js)."""
    results = page.evaluate(
        """async (vectors) => {
            const { lineDueCents, dueFor, parseGrams } = await import('/assets/pricing.js');
            return {
                typed: vectors.typed_weights.map(([text]) => parseGrams(text)),
                lines: vectors.lines.map(([quantity, price, share]) => lineDueCents(quantity, price, share)),
                weighed: vectors.weighed_lines.map(([grams, price, share]) => lineDueCents(grams, price, share, 'kg')),
                orders: vectors.orders.map(({ order, handovers }) =>
                    handovers.map(({ outcome, received, weighed, substituted }) => {
                        const swaps = new Map((substituted ?? []).map(([p, by, quantity, price]) =>
                            [p, { by_product_id: by, quantity, unit_price_cents: price }]));
                        return dueFor(order, outcome, new Map(received), new Map(weighed ?? []), swaps);
                    })),
            };
        }""",
        PRICING,
    )
    wrong = [(line, due) for line, due in zip(PRICING["lines"], results["lines"], strict=True) if line[4] != due]
    assert wrong == []
    weighed = zip(PRICING["weighed_lines"], results["weighed"], strict=True)
    wrong = [(line, due) for line, due in weighed if line[4] != due]
    assert wrong == []
    typed = zip(PRICING["typed_weights"], results["typed"], strict=True)
    assert [(text, grams) for (text, want), grams in typed if grams != want] == []
    for vector, owed in zip(PRICING["orders"], results["orders"], strict=True):
        assert owed == [
            {"dueCents": handover["due_cents"], "solidarityCents": handover["solidarity_cents"]}
            for handover in vector["handovers"]
        ], vector["description"]


def test_shortages_js_agrees_with_sync_shortages(page):
    """Every case of sync/vectors/shortages.json through ``adjust`` (pwa/src/substitutions.js: substitutions, then
    ``shortages`` and ``shorted``) and ``creditBack`` (pwa/src/shortages.js)."""
    results = page.evaluate(
        """async (cases) => {
            const { creditBack } = await import('/assets/shortages.js');
            const { adjust } = await import('/assets/substitutions.js');
            const { voidedIds } = await import('/assets/projection.js');
            return cases.map(({ orders, events }) => {
                const voided = voidedIds(events);
                const seen = new Set();
                const live = events.filter((e) => !voided.has(e.id) && !seen.has(e.id) && seen.add(e.id));
                const changed = adjust(orders, live);
                return Object.fromEntries(orders.map((order) => {
                    const found = changed.get(order.id);
                    const adjusted = found ? found.order : order;
                    return [String(order.id), {
                        lines: adjusted.lines.map((line) => [
                            line.product_id, line.quantity, line.due_cents,
                            ...(line.by_product_id ? [line.by_product_id] : []),
                        ]),
                        total_due_cents: adjusted.total_due_cents,
                        shorts: (found?.shorts ?? []).map((s) => [s.productId, s.ordered, s.receives]),
                        swaps: (found?.swaps ?? []).map((w) => [w.productId, w.byProductId, w.unitPriceCents]),
                        credits: creditBack(order.id, found?.cutIds ?? [], adjusted.total_due_cents, live),
                    }];
                }));
            });
        }""",
        SHORTAGES["cases"],
    )
    for case, result in zip(SHORTAGES["cases"], results, strict=True):
        assert result == case["expected"], case["description"]


def test_manual_codes_and_names_fold_like_python(page):
    code = manual_codes.new_code()
    typed = [
        code,
        code.lower(),
        manual_codes.display(code),
        f" {manual_codes.display(code).lower()} ",
        code.replace("0", "o").replace("1", "I"),
        code[:-1] + ("0" if code[-1] != "0" else "1"),  # wrong check character
        code[:8],
        "K7QM-4ZRT-9",
        "K7QM-4ZRT-U",
        "",
        "ÉÉÉÉÉÉÉÉÉ",
    ]
    assert run(page, "return arg.map((text) => packs.normaliseManualCode(text));", typed) == [
        manual_codes.normalise(text) for text in typed
    ]
    assert run(page, "return ['Élodie', 'ŒUF', 'Jean-Luc Ngô'].map(packs.foldName);") == [
        "elodie",
        "oeuf",
        "jean-luc ngo",
    ]


# A day offline, then sync


def test_recorded_offline_kept_across_pages_then_uploaded_once(app, context, page, world):
    stored = enrol(app, page, world)
    download = run(page, "return packs.downloadPack(arg);", world.distribution)
    assert download["changed"] is True and download["record"]["size"] > 500 and download["record"]["etag"]

    # What a scan needs, from the pack alone.
    found = run(
        page,
        """
        const index = await packs.packIndex(arg.distribution);
        const ticket = await index.checkTicket(arg.ticket);
        return {
            byId: index.member(arg.household).display_name,
            byCode: index.memberByCode(arg.typed)?.id,
            search: index.search('elo').map((m) => m.display_name),
            initial: index.search('jean n').map((m) => m.display_name),
            ticket: [ticket.ok, ticket.member?.order.id],
            forged: (await index.checkTicket(arg.forged)).reason,
        };
        """,
        {
            "distribution": world.distribution,
            "household": world.households[0],
            "typed": manual_codes.display(world.codes[1]).lower(),
            "ticket": world.tickets[0],
            "forged": world.tickets[0][:30] + ("B" if world.tickets[0][30] != "B" else "C") + world.tickets[0][31:],
        },
    )
    assert found == {
        "byId": "Élodie M.",
        "byCode": world.households[1],
        "search": ["Elouan B.", "Élodie M."],  # by last name: Bréhat, Martin
        "initial": ["Jean-Luc N."],
        "ticket": [True, world.orders[0]],
        "forged": "bad_signature",
    }

    second = open_page(context)  # another tab, open before the network goes
    context.set_offline(True)
    recorded = [
        record(
            page,
            world,
            "cash_count",
            {"kind": "opening", "total_cents": 5250, "denominations": {"5": 10, "200": 1, "5000": 1}},
        ),
        record(page, world, "handover", {"order_id": world.orders[0], "outcome": "all"}),
        record(page, world, "payment", {"order_id": world.orders[0], "amount_cents": 1428, "method": "cash"}),
        record(
            page,
            world,
            "handover",
            {
                "order_id": world.orders[1],
                "outcome": "partial",
                "lines": [{"product_id": 1, "quantity_received": 1}],
                "substitution_note": "Œufs remplacés par des pommes",
            },
        ),
        record(page, world, "note", {"text": "Pluie, file d'attente dehors — 20 personnes"}),
    ]
    recorded.append(record(page, world, "void", {"event_id": recorded[-1]["event"]["id"], "reason": "doublon"}))
    events = [r["event"] for r in recorded]
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[0]["prev_hash"] is None
    assert [e["prev_hash"] for e in events[1:]] == [r["hash"] for r in recorded[:-1]]
    assert all(e["device_id"] == stored["device"]["id"] and e["volunteer_id"] == world.volunteer for e in events)

    offline = sync_now(page)
    assert offline["ok"] is False and offline["error"] == "network" and offline["retry"] is True
    page.close()

    # The other tab reads the same outbox from IndexedDB: the events outlived the page that recorded them.
    assert status(second)["pending"] == 6 and status(second)["lastError"] == "network"
    view = run(
        second,
        """
        const order = await sync.orderStatus(arg.distribution, arg.order);
        const view = await sync.distributionView(arg.distribution);
        return {order, cash: view.cash, voided: [...view.voided]};
        """,
        {"distribution": world.distribution, "order": world.orders[0]},
    )
    assert view["order"]["status"] == "collected" and view["order"]["by"] == "this_device"
    assert view["order"]["pending"] is True and view["order"]["paidCents"] == 1428
    assert view["cash"]["expectedCents"] == 5250 + 1428
    assert view["voided"] == [events[4]["id"]]
    assert stored_events(app) == []

    context.set_offline(False)
    result = sync_now(second)
    assert result["ok"] is True and result["accepted"] == 6 and result["refused"] == 0
    rows = stored_events(app)
    assert [row.event_id for row in rows] == [e["id"] for e in events]
    assert [row.hash for row in rows] == [r["hash"] for r in recorded]  # the server hashes them as the phone did
    assert check_chain([parse_event(e) for e in events]) == []
    after = status(second)
    assert after["pending"] == 0 and after["refused"] == 0 and after["lastError"] is None and after["lastSyncAt"]
    assert sorted(entry["id"] for entry in log_entries(second, world.distribution)) == sorted(e["id"] for e in events)
    assert (
        run(second, "return (await sync.orderStatus(arg[0], arg[1])).pending;", [world.distribution, world.orders[0]])
        is False
    )

    # Syncing again sends nothing and changes nothing.
    again = sync_now(second)
    assert again["ok"] is True and again["accepted"] == again["duplicates"] == 0
    assert len(stored_events(app)) == 6


def test_two_tabs_recording_at_once_keep_one_chain(app, context, page, world):
    enrol(app, page, world)
    other = open_page(context)
    script = """
        const recorded = [];
        for (let i = 0; i < 8; i += 1) {
            recorded.push(events.record('note', {text: `${arg.tab} ${i}`}, {distributionId: arg.distribution}));
        }
        return (await Promise.all(recorded)).map((r) => r.event.seq);
    """
    # Tab A starts recording and does not wait; tab B records at the same time.
    page.evaluate(
        f"(arg) => {{ window.done = (async () => {{ {MODULES} {script} }})(); }}",
        {"tab": "A", "distribution": world.distribution},
    )
    second = run(other, script, {"tab": "B", "distribution": world.distribution})
    first = page.evaluate("() => window.done")
    assert sorted(first + second) == list(range(1, 17))
    assert sync_now(page)["accepted"] == 16
    rows = stored_events(app)
    assert len(rows) == 16
    sent = [parse_event(entry["event"]) for entry in log_entries(page, world.distribution)]
    assert len(sent) == 16 and check_chain(sent) == []


def chain_state(page, distribution: int) -> dict:
    return run(
        page,
        """
        const db = await store.database();
        return {
            chain: (await db.get('chains', arg)) ?? null,
            counter: (await db.get('meta', 'outboxCounter')) ?? null,
            outbox: (await db.getAllFromIndex('outbox', 'order')).map((entry) => entry.id),
        };
        """,
        distribution,
    )


def test_record_many_writes_a_batch_whole_or_not_at_all(app, page, world):
    """What one confirmation says is one IndexedDB transaction: the batch takes the next numbers of the chain, each
    event's prev_hash the hash of the one before; when writing one of its events fails, none of it is kept."""
    enrol(app, page, world)
    first = record(page, world, "note", {"text": "Ouverture"})
    batch = [
        {"type": "handover", "payload": {"order_id": world.orders[0], "outcome": "all"}},
        {"type": "payment", "payload": {"order_id": world.orders[0], "amount_cents": 1000, "method": "cash"}},
        {
            "type": "payment",
            "payload": {"order_id": world.orders[0], "amount_cents": 428, "method": "cheque", "method_details": "12"},
        },
    ]
    # A store left inconsistent: the third event's recording number is already taken (the outbox's `order` index is
    # unique), so its write fails inside the transaction, after the first two were written.
    before = chain_state(page, world.distribution)
    failed = run(
        page,
        """
        const db = await store.database();
        const order = (await db.get('meta', 'outboxCounter')) + 3;
        await db.put('outbox', {id: 'stray', distributionId: 0, order, event: null, hash: null, recordedAt: null});
        try {
            await events.recordMany(arg.batch, {distributionId: arg.distribution});
            return null;
        } catch (error) {
            await db.delete('outbox', 'stray');
            return error.name;
        }
        """,
        {"batch": batch, "distribution": world.distribution},
    )
    assert failed == "ConstraintError"
    assert (
        chain_state(page, world.distribution)
        == before
        == {
            "chain": {"seq": 1, "prevHash": first["hash"], "deviceId": first["event"]["device_id"]},
            "counter": 1,
            "outbox": [first["event"]["id"]],
        }
    )
    # A batch the phone may not record is refused before anything is written.
    refused = run(
        page,
        "return events.recordMany(arg.batch, {distributionId: arg.distribution}).catch((e) => e.name);",
        {"batch": [batch[0], {"type": "conflict_resolved", "payload": {}}], "distribution": world.distribution},
    )
    assert refused == "TypeError" and chain_state(page, world.distribution) == before

    # The same batch, once the store is sound: one transaction, one unbroken piece of the chain.
    run(
        page,
        """
        window.transactions = 0;
        const transaction = IDBDatabase.prototype.transaction;
        IDBDatabase.prototype.transaction = function (stores, mode, ...rest) {
            if (mode === 'readwrite' && [].concat(stores).includes('outbox')) window.transactions += 1;
            return transaction.call(this, stores, mode, ...rest);
        };
        """,
    )
    recorded = run(
        page,
        "return events.recordMany(arg.batch, {distributionId: arg.distribution});",
        {"batch": batch, "distribution": world.distribution},
    )
    assert page.evaluate("window.transactions") == 1
    assert [r["event"]["seq"] for r in recorded] == [2, 3, 4]
    assert [r["event"]["prev_hash"] for r in recorded] == [first["hash"], recorded[0]["hash"], recorded[1]["hash"]]
    assert len({r["event"]["id"] for r in recorded}) == 3
    state = chain_state(page, world.distribution)
    assert state["chain"]["seq"] == 4 and state["chain"]["prevHash"] == recorded[2]["hash"] and state["counter"] == 4
    assert state["outbox"] == [first["event"]["id"], *(r["event"]["id"] for r in recorded)]
    assert sync_now(page)["accepted"] == 4
    rows = stored_events(app)
    assert [row.event_id for row in rows] == state["outbox"]
    assert check_chain([parse_event(entry["event"]) for entry in log_entries(page, world.distribution)]) == []


def test_no_nul_character_is_ever_recorded(app, page, world):
    """A NUL (U+0000) typed or pasted in any text (a note, a substitution note, a cheque number, a void's reason)
    is dropped when recorded: the server takes every event, and nothing stored holds one."""
    enrol(app, page, world)
    nul = "\x00"
    recorded = run(
        page,
        """
        const context = {distributionId: arg.distribution};
        const handover = await events.record('handover', {
            order_id: arg.order, outcome: 'partial', lines: [{product_id: 1, quantity_received: 1}],
            substitution_note: `Œufs${arg.nul} remplacés`,
        }, context);
        const batch = await events.recordMany([
            {type: 'payment', payload: {order_id: arg.order, amount_cents: 500, method: 'cheque',
                                        method_details: `${arg.nul}0001234${arg.nul}`}},
            {type: 'payment', payload: {order_id: arg.order, amount_cents: 300, method: 'card',
                                        method_details: `TPE${arg.nul}42`}},
            {type: 'note', payload: {text: `${arg.nul}Pluie${arg.nul}${arg.nul}`}},
        ], context);
        const voided = await events.record('void', {event_id: batch[2].event.id, reason: `dou${arg.nul}blon`}, context);
        return [handover, ...batch, voided];
        """,
        {"distribution": world.distribution, "order": world.orders[0], "nul": nul},
    )
    payloads = [r["event"]["payload"] for r in recorded]
    assert payloads[0]["substitution_note"] == "Œufs remplacés"
    assert [p["method_details"] for p in payloads[1:3]] == ["0001234", "TPE42"]
    assert payloads[3]["text"] == "Pluie" and payloads[4]["reason"] == "doublon"
    outbox = run(page, "return (await store.database()).getAll('outbox');")
    assert nul not in json.dumps(outbox, ensure_ascii=False)
    assert sync_now(page)["accepted"] == 5
    assert all(nul not in json.dumps(row.payload, ensure_ascii=False) for row in stored_events(app))


def test_other_phones_events_come_down(app, page, world):
    enrol(app, page, world)
    run(page, "return packs.downloadPack(arg);", world.distribution)
    mine = record(page, world, "handover", {"order_id": world.orders[0], "outcome": "all"})
    other = enrol_phone(app, [world.point], world.second_volunteer, "Téléphone 2")
    theirs = other.record("handover", {"order_id": world.orders[2], "outcome": "all"}, world.distribution)
    assert other.push([theirs]).status_code == 200

    result = sync_now(page)
    assert result["ok"] is True and result["accepted"] == 1 and result["pulled"] == 1
    state = run(page, "return sync.orderStatus(arg[0], arg[1]);", [world.distribution, world.orders[2]])
    assert state["status"] == "collected" and state["by"] == "other_device" and state["decidedBy"] == theirs["id"]
    entries = {entry["id"]: entry for entry in log_entries(page, world.distribution)}
    assert set(entries) == {mine["event"]["id"], theirs["id"]}
    assert entries[theirs["id"]]["own"] is False and entries[theirs["id"]]["event"]["payload"]["lines"] == []

    # The other phone undoes its hand-over: once pulled, the order is not collected any more.
    void = other.record("void", {"event_id": theirs["id"]}, world.distribution)
    assert other.push([void]).status_code == 200
    assert sync_now(page)["pulled"] == 1
    state = run(page, "return sync.orderStatus(arg[0], arg[1]);", [world.distribution, world.orders[2]])
    assert state["status"] == "not_collected" and state["by"] is None
    cursor = status(page)["distributions"][0]["cursor"]
    with app.app_context():
        assert int(cursor) == db.session.scalar(select(func.max(SyncedEvent.position)))


def test_a_refused_event_stays_in_sight_and_blocks_nothing(app, page, world):
    enrol(app, page, world)
    before = record(page, world, "handover", {"order_id": world.orders[0], "outcome": "all"})
    # A point this phone does not serve, and a payment of 0 cents: the server refuses both, each for its reason.
    elsewhere = record(page, world, "note", {"text": "Mauvaise distribution"}, distribution=world.other_distribution)
    zero = record(page, world, "payment", {"order_id": world.orders[0], "amount_cents": 0, "method": "cash"})
    after = record(page, world, "handover", {"order_id": world.orders[1], "outcome": "refused"})

    result = sync_now(page)
    assert result["ok"] is True and result["accepted"] == 2 and result["refused"] == 2
    assert {row.event_id for row in stored_events(app)} == {before["event"]["id"], after["event"]["id"]}
    refused = run(page, "return sync.refusedEvents();")
    assert [(r["id"], r["reason"]) for r in refused] == [
        (elsewhere["event"]["id"], "forbidden_point"),
        (zero["event"]["id"], "malformed"),
    ]
    assert refused[1]["errors"][0]["loc"] == ["payload", "amount_cents"]
    assert status(page)["pending"] == 0 and status(page)["refused"] == 2

    # Refused events are not sent again by themselves; on request they are, with the same ids (nothing doubles).
    assert sync_now(page)["refused"] == 0
    assert run(page, "return sync.retryRefused([arg]);", elsewhere["event"]["id"]) == 1
    assert status(page)["pending"] == 1
    assert sync_now(page)["refused"] == 1
    assert len(stored_events(app)) == 2 and status(page)["refused"] == 2


def test_pack_refresh_with_304(app, page, world):
    enrol(app, page, world)
    seen: list[tuple[int, str | None]] = []
    page.on(
        "response",
        lambda response: (
            seen.append((response.status, response.request.headers.get("if-none-match")))
            if "/pack" in response.url
            else None
        ),
    )
    first = run(page, "return packs.downloadPack(arg);", world.distribution)
    page.wait_for_timeout(50)
    again = run(page, "return packs.downloadPack(arg);", world.distribution)
    assert again["changed"] is False
    assert again["record"]["etag"] == first["record"]["etag"]
    assert again["record"]["downloadedAt"] == first["record"]["downloadedAt"]
    assert again["record"]["checkedAt"] > first["record"]["checkedAt"]
    assert again["record"]["pack"] == first["record"]["pack"]

    with app.app_context():
        db.session.get(Household, world.households[0]).first_name = "Éloïse"
        db.session.commit()
    changed = run(page, "return packs.downloadPack(arg);", world.distribution)
    assert changed["changed"] is True and changed["record"]["etag"] != first["record"]["etag"]
    names = run(
        page, "return (await packs.packIndex(arg)).search('eloi').map((m) => m.display_name);", world.distribution
    )
    assert names == ["Éloïse M."]
    listed = run(page, "return packs.listPacks();")
    assert [(p["distributionId"], p["members"]) for p in listed] == [(world.distribution, 4)]
    page.wait_for_timeout(50)
    assert [status for status, _ in seen] == [200, 304, 200]
    assert seen[0][1] is None and seen[1][1] == first["record"]["etag"] == seen[2][1]


def test_a_lost_answer_is_retried_without_duplicates(app, page, world):
    enrol(app, page, world)
    recorded = [record(page, world, "handover", {"order_id": order, "outcome": "all"}) for order in world.orders]
    cut: list[int] = []

    def cut_after_the_server_stored(route):
        response = route.fetch()  # the server stores and commits, then the connection is lost on the way back
        cut.append(response.status)
        route.abort("connectionreset")

    page.route("**/api/events", cut_after_the_server_stored)
    lost = sync_now(page)
    page.unroute("**/api/events")
    assert cut == [200] and lost["error"] == "network" and lost["retry"] is True
    assert len(stored_events(app)) == 4 and status(page)["pending"] == 4

    retried = sync_now(page)
    assert retried["ok"] is True and retried["duplicates"] == 4 and retried["accepted"] == 0
    assert [row.event_id for row in stored_events(app)] == [r["event"]["id"] for r in recorded]
    assert status(page)["pending"] == 0


def test_server_errors_back_off_and_keep_everything(app, page, world):
    enrol(app, page, world)
    record(page, world, "note", {"text": "Bonjour"})
    page.route("**/api/events", lambda route: route.fulfill(status=503, body="Service Unavailable"))
    failed = sync_now(page)
    page.unroute("**/api/events")
    assert failed["error"] == "server_error" and failed["retry"] is True and status(page)["pending"] == 1
    assert run(page, "return [[1, 0], [1, 1], [3, 1], [30, 0.5]].map(([n, r]) => sync.backoffDelay(n, () => r));") == [
        1000,
        2000,
        8000,
        225000,
    ]
    assert sync_now(page)["accepted"] == 1


def test_a_server_that_lost_events_gets_them_back(app, page, world):
    """A server restored from an older backup answers 409 cursor_unknown: the phone sends its own events again,
    downloads the pack again and pulls from the start."""
    enrol(app, page, world)
    run(page, "return packs.downloadPack(arg);", world.distribution)
    other = enrol_phone(app, [world.point], world.second_volunteer, "Téléphone 2")
    assert other.push([other.record("note", {"text": "Bonjour"}, world.distribution)]).status_code == 200
    mine = [record(page, world, "handover", {"order_id": order, "outcome": "all"}) for order in world.orders[:2]]
    assert sync_now(page)["pulled"] == 1
    assert int(status(page)["distributions"][0]["cursor"]) > 0
    checked = run(page, "return (await packs.getPack(arg)).checkedAt;", world.distribution)

    with app.app_context():
        db.session.execute(delete(SyncedEvent))
        db.session.commit()
    result = sync_now(page)
    assert result["ok"] is True and result["accepted"] == 2
    assert [row.event_id for row in stored_events(app)] == [r["event"]["id"] for r in mine]
    assert status(page)["pending"] == 0 and status(page)["lastError"] is None
    assert run(page, "return (await packs.getPack(arg)).checkedAt;", world.distribution) > checked


def test_revoked_device_keeps_its_outbox(app, page, world):
    stored = enrol(app, page, world)
    record(page, world, "note", {"text": "Avant la révocation"})
    with app.app_context():
        from server.domain.devices import revoke_device

        device = db.session.scalar(select(Device).where(Device.public_id == stored["device"]["id"]))
        revoke_device(device, db.session.scalar(select(User).where(User.role == "admin")))
        db.session.commit()
    result = sync_now(page)
    assert result["error"] == "device_revoked" and result["retry"] is False
    assert status(page)["pending"] == 1


# Storage


def test_an_older_database_is_upgraded_in_place(context):
    page = context.new_page()
    page.goto(BLANK)
    page.evaluate(
        """() => new Promise((resolve, reject) => {
            const request = indexedDB.open('comptoir', 1);  // what the first version of the app made
            request.onupgradeneeded = () => {
                request.result.createObjectStore('meta');
                request.result.createObjectStore('shifts', {keyPath: 'id'});
            };
            request.onsuccess = () => {
                const db = request.result;
                const tx = db.transaction('meta', 'readwrite');
                tx.objectStore('meta').put({id: 'dev-1', name: 'Ancien'}, 'device');
                tx.oncomplete = () => { db.close(); resolve(); };
                tx.onerror = () => reject(tx.error);
            };
        })"""
    )
    upgraded = run(
        page,
        "const db = await store.database();"
        "return [db.version, [...db.objectStoreNames], (await store.getDevice()).name,"
        " [...db.transaction('log').store.indexNames]];",
    )
    stores = ["chains", "log", "meta", "outbox", "packs", "shifts", "syncState"]
    assert upgraded == [3, stores, "Ancien", ["distribution", "forward"]]


def test_persistent_storage(browser, context, page, live_server):
    assert run(page, "return store.persisted();") is False
    target = context.new_cdp_session(page).send("Target.getTargetInfo")["targetInfo"]
    browser.new_browser_cdp_session().send(
        "Browser.grantPermissions",
        {"origin": live_server, "permissions": ["durableStorage"], "browserContextId": target["browserContextId"]},
    )
    assert run(page, "return store.requestPersistentStorage();") is True
    assert run(page, "return store.persisted();") is True
