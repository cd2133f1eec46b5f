"""The distribution pack: everything a phone needs to run one distribution offline, as canonical JSON.

``build_pack`` takes plain data (what the server read from its database) and applies the pack's rules here, in one
place: a member carries their first and last names (the phone finds and lists members by them; the pack is wiped
from the phone once the distribution is over and everything is sent, docs/packs.md) and a ``display_name``, first
name and initial, for the member screen; amounts due come from ``sync.pricing`` at the order's share, the ticket
trust is ``sync.tickets.trust_json``. The answer is the pack's canonical bytes (UTF-8 JSON, keys
sorted, no spaces, members by id, lines by product) and a strong ETag, the SHA-256 of those bytes: the same data
always gives the same bytes and the same ETag, so a phone that already has a pack gets ``304 Not Modified``.

The pydantic models below are the pack's schema (``Pack.model_json_schema()`` for OpenAPI); the specification with
every field is ``docs/packs.md``. Nothing here imports Flask or SQLAlchemy.
"""

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, TypeAdapter

from sync import membership, pricing
from sync.tickets import trust_json
from sync.vocabulary import DISTRIBUTION_STATUSES, HOUSEHOLD_STATUSES, PAYMENT_METHODS, SOLD_BY

FORMAT_VERSION = 3  # 3: lines sold by weight count grams, lines paid in advance are due 0 (docs/packs.md, "Versions")

PaymentMethod = Literal[PAYMENT_METHODS]  # type: ignore[valid-type]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PackDistribution(_Model):
    """The distribution the pack is for."""

    id: int
    starts_at: AwareDatetime = Field(description="UTC, ISO 8601")
    ends_at: AwareDatetime = Field(description="UTC, ISO 8601")
    status: Literal[DISTRIBUTION_STATUSES]  # type: ignore[valid-type]


class PackPoint(_Model):
    """Where it happens."""

    id: int
    name: str
    town: str
    address: str


class PackNetwork(_Model):
    """The network's settings a phone needs: currency, timezone, accepted payment methods, whether the counter names
    a member's tier."""

    name: str
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, e.g. EUR; every amount is in its cents")
    timezone: str = Field(description="IANA zone to show times in, e.g. Europe/Paris")
    payment_methods: list[PaymentMethod] = Field(description="the methods this network accepts, in its order")
    show_tier_at_counter: bool = Field(
        default=False, description="show the member's tier name on the volunteer's phone (off: no tier at the counter)"
    )
    membership_fee_cents: NonNegativeInt = Field(
        default=0, description="the yearly membership fee per household (0: none); the phone can take it"
    )
    membership_required: bool = Field(
        default=False, description="refuse the hand-over while a member's membership is due (off: the phone warns)"
    )
    prepaid_floor_cents: NonNegativeInt = Field(
        default=0,
        description="how far below zero a prepaid balance may go (1000: down to −10.00); an allowance stays ≥ 0",
    )
    allowance_period: Literal["month", "week"] = Field(
        default="month", description="the allowance period a member's SSA contribution is asked for (weeks from Monday)"
    )


class PackTickets(_Model):
    """What checks member tickets offline: public keys and revocation list (``sync.tickets.trust_json``)."""

    public_keys: dict[str, str] = Field(description="key id → raw 32-byte Ed25519 public key, base64")
    min_serials: dict[str, NonNegativeInt] = Field(description="member id → lowest valid ticket serial")


class PackTier(_Model):
    """The member's pricing tier."""

    id: int
    name: str
    share_percent: int = Field(ge=0, le=100, description="the tier's share today (the order keeps its own)")


class PackLine(_Model):
    """One product of the order."""

    product_id: int
    product_name: str
    quantity: int = Field(gt=0)
    unit_price_cents: NonNegativeInt = Field(
        description="full price of one unit (of one kg when sold_by is kg), agreed when the order was taken"
    )
    due_cents: NonNegativeInt = Field(description="what the member owes for the line at the order's share")
    producer_id: int | None = Field(
        default=None,
        description="the producer of the product (``Pack.producers``): a cheque for it is made out to them",
    )
    allowance_eligible: bool = Field(
        default=True,
        description="an SSA allowance may pay for the product (written only when false: the phone caps the "
        "allowance's part at the eligible lines' due)",
    )
    paid_in_advance: bool = Field(
        default=False,
        description="paid before the day (a season contract paid by cheques): due 0 at the point; left out when false",
    )
    paid_from: Literal["prepaid"] | None = Field(
        default=None,
        description="with paid_in_advance: the line is a season contract's paid from the prepaid account, which the "
        "server debits for what is handed over (docs/contracts.md); left out for a line paid by cheques",
    )
    sold_by: Literal[SOLD_BY] = Field(  # type: ignore[valid-type]
        default="piece",
        description="piece, kg or litre; kg: quantity is an estimate in grams, weighed at the hand-over (left out "
        "when piece)",
    )


class PackOrder(_Model):
    """What the member is to receive, and what they owe for it."""

    id: int
    share_percent: int = Field(ge=0, le=100, description="the share of the full price this order is due at")
    lines: list[PackLine]
    total_due_cents: NonNegativeInt
    solidarity_share_cents: NonNegativeInt = Field(description="full price minus what is due: the network's part")


class PackBalances(_Model):
    """The member's accounts held by the network, in cents (0 without an account)."""

    prepaid_cents: int = Field(description="may be negative: an overdrawn balance")
    allowance_cents: int


class PackMember(_Model):
    """A member expected at the distribution (a household with an order in it)."""

    id: int = Field(description="the member (household) id, as in the ticket")
    manual_code: str | None = Field(description="normalised manual code, e.g. K7QM4ZRT9; null without a valid ticket")
    first_name: str = Field(description="as the network holds it (NFC, trimmed), e.g. 'Awa'")
    last_name: str = Field(description="as the network holds it (NFC, trimmed), e.g. 'Diallo'")
    display_name: str = Field(description="first name and initial of the last name, e.g. 'Awa D.': the member screen")
    status: Literal[HOUSEHOLD_STATUSES]  # type: ignore[valid-type]
    tier: PackTier
    order: PackOrder
    balances: PackBalances
    membership_paid_until: str | None = Field(
        default=None, description="ISO date, the last day the member's membership fee covers; null: never paid"
    )
    membership_due: bool = Field(
        default=False, description="the network asks a fee and it does not cover the distribution's day"
    )
    contribution_due_cents: NonNegativeInt = Field(
        default=0,
        description="the SSA contribution the member's band asks for the period of the distribution's day, not paid "
        "yet; left out when nothing is due",
    )


class PackProducer(_Model):
    """A producer of the products in the pack's orders: who a cheque paying for them is made out to."""

    id: int
    name: str
    payee: str = Field(description="the name to write on the cheque (the producer's name when none is set)")


class PackExtra(_Model):
    """A product the point sells without a pre-order (docs/extras.md), at its full price."""

    product_id: int
    name: str
    unit: str = Field(description="the words for one piece, e.g. 'pot de 500 g'; may be empty")
    sold_by: Literal[SOLD_BY]  # type: ignore[valid-type]
    unit_price_cents: NonNegativeInt = Field(description="full price of one piece (members pay their tier's share)")
    stock: NonNegativeInt | None = Field(
        description="pieces to sell at the distribution (grams for a product sold by kg); null: no limit"
    )
    allowance_eligible: bool = Field(description="an SSA allowance may pay for it")
    producer_id: int | None


class PackDevice(_Model):
    """A phone that may record at the distribution (enrolled for its point, not revoked, its key registered): a
    phone receiving events from another phone checks their signatures with these keys, offline."""

    id: str = Field(description="the device's public id, as events name it in ``device_id``")
    name: str
    public_key: str = Field(
        pattern=r"^[A-Za-z0-9_-]{43}$", description="raw 32-byte Ed25519 public key, base64url without padding"
    )


class Pack(_Model):
    """Everything a phone needs to run one distribution offline (docs/packs.md)."""

    format_version: Literal[3]
    distribution: PackDistribution
    point: PackPoint
    network: PackNetwork
    tickets: PackTickets
    members: list[PackMember] = Field(description="every household with an order in the distribution, by id")
    producers: list[PackProducer] = Field(
        default_factory=list, description="the producers of the products in the orders, by id"
    )
    extras: list[PackExtra] = Field(
        default_factory=list, description="the catalogue of extras sold at the point, by product id"
    )
    devices: list[PackDevice] = Field(
        default_factory=list,
        description="the phones that may record here and the keys their events are signed with, by id",
    )


# What the server passes in.


@dataclass(frozen=True, slots=True)
class LineData:
    product_id: int
    product_name: str
    quantity: int
    unit_price_cents: int
    producer_id: int | None = None
    allowance_eligible: bool = True
    paid_in_advance: bool = False
    sold_by: str = "piece"
    paid_from: str | None = None  # "prepaid": a contract paid from the prepaid account


@dataclass(frozen=True, slots=True)
class ProducerData:
    id: int
    name: str
    payee: str


@dataclass(frozen=True, slots=True)
class ExtraData:
    """A product of the distribution's catalogue of extras, as read from the database."""

    product_id: int
    name: str
    unit: str
    sold_by: str
    unit_price_cents: int
    stock: int | None
    allowance_eligible: bool
    producer_id: int | None


@dataclass(frozen=True, slots=True)
class DeviceData:
    """A phone enrolled for the point, not revoked, with a registered key, as read from the database."""

    id: str  # public id
    name: str
    public_key: str  # base64url, 43 characters


@dataclass(frozen=True, slots=True)
class MemberData:
    """A household with an order in the distribution, as read from the database."""

    id: int
    first_name: str
    last_name: str
    manual_code: str | None
    status: str
    tier_id: int
    tier_name: str
    tier_share_percent: int
    order_id: int
    order_share_percent: int
    lines: Sequence[LineData] = ()
    balances: Mapping[str, int] = field(default_factory=dict)  # account kind → cents; a missing kind is 0
    membership_paid_until: date | None = None
    contribution_due_cents: int = 0  # the SSA contribution still due for the period of the distribution's day


@dataclass(frozen=True, slots=True)
class BuiltPack:
    body: bytes  # canonical JSON, UTF-8
    etag: str  # strong: '"<sha256 of body, hex>"'

    @property
    def digest(self) -> str:
        return self.etag.strip('"')


def clean_name(name: str) -> str:
    """A name as a pack carries it: NFC (one code point per accented letter, as the phone compares), trimmed."""
    return unicodedata.normalize("NFC", name).strip()


def display_name(first_name: str, last_name: str) -> str:
    """How a pack names a member: first name and initial of the last name ("Awa D.")."""
    first = clean_name(first_name)
    initial = clean_name(last_name)[:1].upper()
    return " ".join(part for part in (first, f"{initial}." if initial else "") if part)


def canonical_json(data: Any) -> bytes:
    """One byte string per value: keys sorted, no spaces, UTF-8 (not ``\\u`` escapes: French names stay short)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def strong_etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()}"'


def member(data: MemberData, day: date | None = None, fee_cents: int = 0) -> dict[str, Any]:
    """One member of the pack as JSON-ready data (``PackMember``'s shape; checked in ``build_pack``); ``day`` is the
    distribution's local date, ``fee_cents`` the network's membership fee (whether the membership is due)."""
    share = data.order_share_percent
    lines = sorted(data.lines, key=lambda line: line.product_id)
    pairs = [(line.quantity, line.unit_price_cents, line.sold_by, line.paid_in_advance) for line in lines]
    return {
        "id": data.id,
        "manual_code": data.manual_code,
        "first_name": clean_name(data.first_name),
        "last_name": clean_name(data.last_name),
        "display_name": display_name(data.first_name, data.last_name),
        "status": data.status,
        "tier": {"id": data.tier_id, "name": data.tier_name, "share_percent": data.tier_share_percent},
        "order": {
            "id": data.order_id,
            "share_percent": share,
            "lines": [
                {
                    "product_id": line.product_id,
                    "product_name": line.product_name,
                    "quantity": line.quantity,
                    "unit_price_cents": line.unit_price_cents,
                    "due_cents": pricing.line_due_cents(
                        line.quantity, line.unit_price_cents, share, line.sold_by, line.paid_in_advance
                    ),
                    "producer_id": line.producer_id,
                    **({} if line.allowance_eligible else {"allowance_eligible": False}),
                    **({"paid_in_advance": True} if line.paid_in_advance else {}),
                    **({"paid_from": line.paid_from} if line.paid_in_advance and line.paid_from else {}),
                    **({"sold_by": line.sold_by} if line.sold_by != "piece" else {}),
                }
                for line in lines
            ],
            "total_due_cents": pricing.order_due_cents(pairs, share),
            "solidarity_share_cents": pricing.solidarity_share_cents(pairs, share),
        },
        "balances": {
            "prepaid_cents": data.balances.get("prepaid", 0),
            "allowance_cents": data.balances.get("allowance", 0),
        },
        **_membership(data.membership_paid_until, day, fee_cents),
        **({"contribution_due_cents": data.contribution_due_cents} if data.contribution_due_cents > 0 else {}),
    }


def _membership(paid_until: date | None, day: date | None, fee_cents: int) -> dict[str, Any]:
    """The member's membership fields (``sync.membership``): the paid-until date, and whether it is due on the
    distribution's day."""
    due = day is not None and membership.is_due(paid_until, day, fee_cents)
    return {"membership_paid_until": paid_until.isoformat() if paid_until else None, "membership_due": due}


_MEMBERS = TypeAdapter(list[PackMember])


def build_pack(
    *,
    distribution: Mapping[str, Any],
    point: Mapping[str, Any],
    network: Mapping[str, Any],
    public_keys: Mapping[int, bytes],
    min_serials: Mapping[int, int],
    members: Iterable[MemberData],
    producers: Iterable[ProducerData] = (),
    extras: Iterable[ExtraData] = (),
    devices: Iterable[DeviceData] = (),
) -> BuiltPack:
    """The pack of one distribution: its canonical JSON bytes and strong ETag.

        ``distribution`` has ``id, starts_at, ends_at, status``; ``point`` ``id, name, town, address``; ``network``
        ``name, currency, timezone, payment_methods``; ``public_keys`` and ``min_serials`` are what
        ``sync.tickets.trust_json`` takes; ``producers`` those of the lines' products; ``devices`` the phones whose
    event signatures another phone checks offline (docs/packs.md, "Devices"). Everything is checked against the
        schema before it is written: a missing, mistyped or extra field (``extra="forbid"``: nothing personal slips in
        by accident) raises ``ValidationError``.

        The members, the bulk of a pack, are built as plain data and checked in strict mode (no conversion, so the
        bytes are exactly what was checked) rather than built as models and dumped: a third of the time for 1,000
        members (``bench/sync.py``).
    """
    checked_network = PackNetwork.model_validate(network)
    checked_distribution = PackDistribution.model_validate(distribution)
    day = checked_distribution.starts_at.astimezone(ZoneInfo(checked_network.timezone)).date()
    fee = checked_network.membership_fee_cents
    member_data = [member(data, day, fee) for data in sorted(members, key=lambda m: m.id)]
    _MEMBERS.validate_python(member_data, strict=True)
    extra_data = [
        PackExtra(
            product_id=extra.product_id,
            name=clean_name(extra.name),
            unit=extra.unit,
            sold_by=extra.sold_by,
            unit_price_cents=extra.unit_price_cents,
            stock=extra.stock,
            allowance_eligible=extra.allowance_eligible,
            producer_id=extra.producer_id,
        ).model_dump(mode="json")
        for extra in sorted(extras, key=lambda extra: extra.product_id)
    ]
    body = canonical_json(
        {
            "format_version": FORMAT_VERSION,
            "distribution": checked_distribution.model_dump(mode="json"),
            "point": PackPoint.model_validate(point).model_dump(mode="json"),
            "network": checked_network.model_dump(mode="json"),
            "tickets": PackTickets.model_validate(trust_json(public_keys, min_serials)).model_dump(mode="json"),
            "members": member_data,
            "producers": [
                PackProducer(id=p.id, name=p.name, payee=p.payee).model_dump(mode="json")
                for p in sorted(producers, key=lambda p: p.id)
            ],
            "extras": extra_data,
            "devices": [
                PackDevice(id=d.id, name=d.name, public_key=d.public_key).model_dump(mode="json")
                for d in sorted(devices, key=lambda d: d.id)
            ],
        }
    )
    return BuiltPack(body=body, etag=strong_etag(body))


def parse_pack(body: bytes | str) -> Pack:
    """A pack read back and checked against the schema (tests, tools)."""
    return Pack.model_validate_json(body)


def schema() -> dict[str, Any]:
    """The pack's JSON Schema, for the OpenAPI document."""
    return Pack.model_json_schema()
