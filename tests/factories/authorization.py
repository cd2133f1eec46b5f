"""The sample data of the authorization matrix (tests/test_authorization_matrix.py)."""

import uuid
from dataclasses import dataclass, field

from server.clock import utcnow
from server.domain.devices import create_enrolment, redeem_enrolment, revoke_device
from server.domain.ledger import post
from server.domain.links import create_sign_in_link
from server.domain.shifts import start_shift
from server.extensions import db
from server.models import (
    Absence,
    Cheque,
    Conflict,
    Contract,
    ContractProduct,
    ContributionBand,
    Extra,
    Passkey,
    Point,
    Producer,
    PushSubscription,
    Subscription,
    SubscriptionQuantity,
    User,
)
from tests.factories.primitives import (
    DAY,
    HOUR,
    basket,
    distribution,
    full_tier,
    households,
    member_of,
    now_to_the_second,
    order,
    tickets,
)


@dataclass
class Samples:
    """Ids of the sample data and the secrets a caller presents."""

    tier: int = 0
    band: int = 0
    product: int = 0
    producer: int = 0
    point_a: int = 0
    point_b: int = 0
    household: int = 0
    distribution: int = 0
    order: int = 0
    conflict: int = 0
    device: int = 0
    subscription: int = 0
    movement: int = 0  # a top-up on the household's prepaid balance (it has a receipt)
    extra: int = 0  # the product offered as an extra at the distribution
    contract: int = 0  # a season contract at A, open to subscription, the household subscribed
    offered: int = 0  # its product
    subscriber: int = 0  # the household's subscription to it
    season_cheque: int = 0  # an expected cheque of that contract's calendar
    absence: int = 0  # the household's absence at the coming distribution
    link_token: str = ""
    page_token: str = ""
    users: dict[str, int] = field(default_factory=dict)  # role → user id
    passkeys: dict[str, int] = field(default_factory=dict)  # role → that user's passkey id
    device_credentials: dict[str, str] = field(default_factory=dict)  # "device" / "revoked_device" → credential
    shift_tokens: dict[str, str] = field(default_factory=dict)  # "device" / "revoked_device" → its shift token


def authorization_samples() -> Samples:
    """Points A and B, a coordinator of each, a volunteer of A, an admin; a household, a distribution in two days and
    an order at A, a conflict of that distribution; a device of A with a volunteer's shift, and a revoked one; one
    passkey per user; a sign-in link, a ticket and a push subscription. Committed."""
    tier = full_tier()
    point_a = Point(name="Point A", town="Torcy")
    point_b = Point(name="Point B", town="Lognes")
    producer = Producer(name="Ferme A")
    product = basket("Panier M")
    product.producer = producer
    band = ContributionBand(code="T1", label="Tranche 1")
    users = {
        "admin": User(email="admin@example.org", role="admin"),
        "coordinator": member_of(point_a, "coordinator", "coord.a@example.org"),
        "other_coordinator": member_of(point_b, "coordinator", "coord.b@example.org"),
        "volunteer": member_of(point_a, "volunteer", "vol.a@example.org"),
    }
    link_user = member_of(point_a, "volunteer", "link@example.org")
    [household] = households(point_a, [("Alice", "Martin", tier)])
    coming = distribution(point_a, now_to_the_second(), starts_in=2 * DAY, lasting=2 * HOUR)
    ordered = order(coming, household, [(product, 1)])
    db.session.add_all(
        [tier, band, point_a, point_b, producer, product, *users.values(), link_user, household, coming, ordered]
    )
    db.session.flush()
    conflict = Conflict(distribution_id=coming.id, kind="unknown_void", key="unknown_void:sample", event_ids=[])
    extra = Extra(distribution_id=coming.id, product_id=product.id, stock=10)
    db.session.add_all([conflict, extra])
    passkeys = {
        role: Passkey(user=user, credential_id=uuid.uuid4().bytes, public_key=b"sample", name="Sample")
        for role, user in users.items()
    }
    db.session.add_all(passkeys.values())
    link_token = create_sign_in_link(link_user, 24 * 60)
    credentials, tokens, devices = {}, {}, {}
    for role in ("device", "revoked_device"):
        _enrolment, enrolment_token = create_enrolment(users["admin"], f"Phone {role}", [point_a])
        devices[role], credentials[role] = redeem_enrolment(enrolment_token)
        shift, tokens[role] = start_shift(devices[role], users["volunteer"])
        shift.valid_until = utcnow() + DAY  # a run across midnight stays green
    revoke_device(devices["revoked_device"], users["admin"])
    tickets([household])
    subscription = PushSubscription(
        endpoint_hash="0" * 64,
        endpoint="https://fcm.googleapis.com/fcm/send/sample",
        p256dh="p",
        auth="a",
        household=household,
    )
    db.session.add(subscription)
    movement = post(household.id, "prepaid", 2000, "top_up", method="cash", actor=users["admin"])
    day = coming.starts_at.date()
    contract = Contract(
        producer=producer,
        point=point_a,
        name="Légumes A",
        starts_on=day - DAY,
        ends_on=day + 30 * DAY,
        subscriptions_open=True,
        absence_cap=2,
    )
    offered = ContractProduct(contract=contract, product=product, unit_price_cents=1500)
    subscriber = Subscription(contract=contract, household=household)
    subscriber.quantities = [SubscriptionQuantity(contract_product=offered, quantity=1)]
    absence = Absence(subscription=subscriber, distribution=coming, kind="skip")
    season_cheque = Cheque(
        contract=contract, household=household, amount_cents=1500, state="expected", planned_month=day.replace(day=1)
    )
    db.session.add_all([contract, offered, subscriber, absence, season_cheque])
    db.session.flush()
    db.session.commit()
    return Samples(
        tier=tier.id,
        band=band.id,
        product=product.id,
        producer=producer.id,
        point_a=point_a.id,
        point_b=point_b.id,
        household=household.id,
        distribution=coming.id,
        order=ordered.id,
        conflict=conflict.id,
        device=devices["device"].id,
        subscription=subscription.id,
        movement=movement,
        extra=extra.id,
        contract=contract.id,
        offered=offered.id,
        subscriber=subscriber.id,
        season_cheque=season_cheque.id,
        absence=absence.id,
        link_token=link_token,
        page_token=household.page_token,
        users={role: user.id for role, user in users.items()},
        passkeys={role: passkey.id for role, passkey in passkeys.items()},
        device_credentials=credentials,
        shift_tokens=tokens,
    )
