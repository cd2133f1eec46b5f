"""Events: what a device records offline and syncs later, as pydantic models with one meaning per field.

Every event has the same envelope (who, where, when, its place in the device's hash chain) and a payload typed by
``type``. Validation refuses only what is malformed: a rule broken at the point (a second hand-over, a payment above
what was due) is a fact and becomes a conflict (``sync.conflicts``), never a refusal. Pydantic gives machine-readable
error locations for the device and JSON Schema for the OpenAPI document. The specification is
``docs/sync-protocol.md``.
"""

import json
import os
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sync.pricing import WEIGHED, line_due_cents, line_full_cents
from sync.tickets import REASONS as TICKET_REFUSAL_REASONS
from sync.vocabulary import PAYMENT_METHODS, TOP_UP_METHODS

SCHEMA_VERSION: Final = 1
SUPPORTED_SCHEMA_VERSIONS: Final = (1,)
# The device id of events the server writes itself (conflict resolutions made by an admin or coordinator).
SERVER_DEVICE_ID: Final = "server"

MAX_ID: Final = 2**31 - 1  # ids and sequence numbers fit the database's 32-bit integer columns
MAX_CENTS: Final = 10**9  # ten million euros in one event: far above any basket, far below float trouble in JS
MAX_QUANTITY: Final = 10**6
EARLIEST_TIME: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME: Final = datetime(9000, 1, 1, tzinfo=UTC)
MAX_LINES: Final = 200
MAX_DENOMINATIONS: Final = 40

UUID7_PATTERN: Final = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
HASH_PATTERN: Final = r"^[0-9a-f]{64}$"

HandoverOutcome = Literal["all", "partial", "refused"]
CashCountKind = Literal["opening", "closing"]
ResolutionAction = Literal["accept", "void_event", "adjust", "dismiss"]
PaymentMethod = Literal[*PAYMENT_METHODS]
TopUpMethod = Literal[*TOP_UP_METHODS]
# The accounts a member may credit at the point: the prepaid one (an allowance is credited by the scheme only).
TopUpAccount = Literal["prepaid"]
SCAN_REFUSAL_REASONS: Final = (*TICKET_REFUSAL_REASONS, "unknown_member", "not_expected")
ScanRefusalReason = Literal[*SCAN_REFUSAL_REASONS]
# What a payment is for: an order (or a household's account of orders, the default), the household's yearly
# membership fee (adhésion), or its contribution to a solidarity scheme (SSA, by band). docs/sync-protocol.md.
PAYMENT_PURPOSES: Final = ("order", "membership", "contribution")
PaymentPurpose = Literal[*PAYMENT_PURPOSES]

HANDOVER_OUTCOMES: Final = get_args(HandoverOutcome)
CASH_COUNT_KINDS: Final = get_args(CashCountKind)
RESOLUTION_ACTIONS: Final = get_args(ResolutionAction)
# Methods that move money out of a household's account rather than bring money in.
ACCOUNT_METHODS: Final = ("prepaid", "allowance")

# Why an item of an upload is refused (``Rejection.reason``); the details are in ``Rejection.errors``.
REJECTION_REASONS: Final = (
    "malformed",  # not an object, a missing or invalid field, an unknown field, inconsistent amounts
    "unsupported_schema_version",
    "unknown_type",
    "invalid_text",  # a character no text may hold: NUL anywhere, or another control character in a text field
)
# The error types that make a refusal ``invalid_text`` when they are all its errors.
TEXT_ERROR_TYPES: Final = ("text_nul", "text_characters", "string_unicode")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain_text(value: str) -> str:
    """Text must be storable anywhere (PostgreSQL refuses NUL): no control characters but tab and line breaks.
    Lone surrogates are already refused by pydantic (``string_unicode``)."""
    if _CONTROL.search(value):
        raise PydanticCustomError("text_characters", "text must not contain control characters")
    return value


def _text(min_length: int, max_length: int) -> Any:
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length), AfterValidator(_plain_text)]


def _only_int(value: Any) -> Any:
    if not isinstance(value, int) or isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _only_text_or_datetime(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise PydanticCustomError("datetime_type", "device_time must be an ISO 8601 string")
    return value


def _utc_milliseconds(value: datetime) -> datetime:
    if value.microsecond % 1000:
        raise PydanticCustomError("datetime_precision", "device_time has at most millisecond precision")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    # A phone whose clock reset to 1970 still recorded a fact (a clock_skew conflict, not a refusal); the bounds
    # only keep time arithmetic far from datetime's limits.
    if utc is None or not EARLIEST_TIME <= utc < LATEST_TIME:
        raise PydanticCustomError("datetime_range", "device_time is between 1970 and 9000")
    return utc


Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
Cents = Annotated[int, Strict(), Field(ge=0, le=MAX_CENTS)]
PositiveCents = Annotated[int, Strict(), Field(ge=1, le=MAX_CENTS)]
Quantity = Annotated[int, Strict(), Field(ge=0, le=MAX_QUANTITY)]
EventId = Annotated[str, StringConstraints(pattern=UUID7_PATTERN)]
Hash = Annotated[str, StringConstraints(pattern=HASH_PATTERN)]
DeviceId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
DeviceTime = Annotated[AwareDatetime, BeforeValidator(_only_text_or_datetime), AfterValidator(_utc_milliseconds)]
Denomination = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,8}$")]  # a coin or note's value in cents
Detail = _text(1, 200)
Text500 = _text(1, 500)
Reason = _text(0, 500)
Text2000 = _text(1, 2000)
ConflictKey = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Payloads


class HandoverLine(_Model):
    product_id: Id
    quantity_received: Quantity


class WeighedLine(_Model):
    """The weight handed over of a line sold by weight (``sold_by`` "kg"), in grams."""

    product_id: Id
    grams: Annotated[int, Strict(), Field(ge=1, le=MAX_QUANTITY)]


class SubstitutedLine(_Model):
    """At one hand-over, the line of ``product_id`` given as ``quantity`` of ``by_product_id`` (grams for a line sold
    by weight, the weight handed over) at ``unit_price_cents``, the substitute's full price (per kg when by weight)."""

    product_id: Id
    by_product_id: Id
    quantity: Annotated[int, Strict(), Field(ge=1, le=MAX_QUANTITY)]
    unit_price_cents: Cents

    @model_validator(mode="after")
    def _another_product(self) -> "SubstitutedLine":
        if self.product_id == self.by_product_id:
            raise PydanticCustomError("substitute_same_product", "a product is replaced by another one")
        return self


class Handover(_Model):
    """A member received all of an order, part of it (``lines`` say what), or refused it.

    ``weighed`` gives the grams weighed at the hand-over for lines sold by weight: what the member received of
    that line, priced by ``sync.pricing`` in place of the order's estimate. ``substituted`` gives the lines handed
    over as another product, priced (``sync.substitutions``): such a line is neither in ``lines`` nor in
    ``weighed``. Both are left out of the written form when empty (``_without_empty_lists``), so a hand-over
    recorded before the fields existed keeps its hash.
    """

    order_id: Id
    outcome: HandoverOutcome
    lines: list[HandoverLine] = Field(default_factory=list, max_length=MAX_LINES)
    substitution_note: Text500 | None = None
    weighed: list[WeighedLine] = Field(default_factory=list, max_length=MAX_LINES)
    substituted: list[SubstitutedLine] = Field(default_factory=list, max_length=MAX_LINES)

    @model_validator(mode="after")
    def _lines_match_outcome(self) -> "Handover":
        if self.outcome == "partial" and not self.lines and not self.substituted:
            raise PydanticCustomError("partial_without_lines", "a partial hand-over lists the quantities received")
        if self.outcome != "partial" and self.lines:
            raise PydanticCustomError("lines_not_partial", "only a partial hand-over lists quantities")
        products = [line.product_id for line in self.lines]
        if len(set(products)) != len(products):
            raise PydanticCustomError("duplicate_product", "each product appears once in a hand-over")
        weighed = [line.product_id for line in self.weighed]
        if len(set(weighed)) != len(weighed):
            raise PydanticCustomError("duplicate_product", "each product is weighed once in a hand-over")
        if self.outcome == "refused" and self.weighed:
            raise PydanticCustomError("weighed_refused", "a refused hand-over weighs nothing")
        taken = {line.product_id: line.quantity_received for line in self.lines}
        if self.outcome == "partial" and any(not taken.get(product) for product in weighed):
            raise PydanticCustomError("weighed_not_received", "a weighed product is among the lines received")
        swapped = [line.product_id for line in self.substituted]
        if len(set(swapped)) != len(swapped):
            raise PydanticCustomError("duplicate_product", "each product is replaced once in a hand-over")
        if self.outcome == "refused" and self.substituted:
            raise PydanticCustomError("substituted_refused", "a refused hand-over replaces nothing")
        if set(swapped) & (set(taken) | set(weighed)):
            raise PydanticCustomError(
                "substituted_listed", "a replaced product is given by its substitute, not among the lines or weights"
            )
        return self

    @model_serializer(mode="wrap")
    def _without_empty_lists(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        for field in ("weighed", "substituted"):
            if not data.get(field):
                data.pop(field, None)
        return data

    def weights(self) -> dict[int, int]:
        """Product id → grams weighed."""
        return {line.product_id: line.grams for line in self.weighed}

    def swaps(self) -> dict[int, SubstitutedLine]:
        """Product id replaced → what was given in its place."""
        return {line.product_id: line for line in self.substituted}


class Payment(_Model):
    """Money settled for an order or a household.

    ``amount_cents`` is what the event settles; ``from_prepaid_cents`` and ``from_allowance_cents`` of it come out of
    the household's accounts, and the rest (``rest_cents``) was paid by ``method``. An account method (``prepaid``,
    ``allowance``) is named only when there is no rest. ``solidarity_cents`` is the share of the full price the
    network carries: it is not part of ``amount_cents``.

    ``purpose`` says what the money is for: ``order`` (the default: what events have always meant) or, for a
    household and no order, ``membership`` (the yearly fee) or ``contribution`` (a member's contribution to a
    solidarity scheme). The default is left out of the written form (``_without_default_purpose``), so an event
    recorded before the field existed keeps its canonical encoding and hash.

    ``payee_producer_id`` names the producer a cheque is made out to ("one cheque per producer"); only a cheque names
    one. Like ``purpose``, it is left out of the written form when it is null, so older events keep their hash.
    """

    order_id: Id | None = None
    household_id: Id | None = None
    amount_cents: PositiveCents
    method: PaymentMethod
    method_details: Detail | None = None
    from_prepaid_cents: Cents = 0
    from_allowance_cents: Cents = 0
    solidarity_cents: Cents = 0
    purpose: PaymentPurpose = "order"
    payee_producer_id: Id | None = None

    @property
    def rest_cents(self) -> int:
        return self.amount_cents - self.from_prepaid_cents - self.from_allowance_cents

    @model_validator(mode="after")
    def _consistent(self) -> "Payment":
        if self.order_id is None and self.household_id is None:
            raise PydanticCustomError("payment_without_payer", "a payment names an order or a household")
        if self.rest_cents < 0:
            raise PydanticCustomError("payment_split", "the amounts from the accounts exceed amount_cents")
        if self.method in ACCOUNT_METHODS:
            share = self.from_prepaid_cents if self.method == "prepaid" else self.from_allowance_cents
            if self.rest_cents or not share:
                raise PydanticCustomError(
                    "payment_split", "an account method is named only when the accounts cover the whole amount"
                )
        elif not self.rest_cents:
            raise PydanticCustomError("payment_split", "nothing is left to pay by this method")
        if self.purpose != "order" and (self.order_id is not None or self.household_id is None):
            raise PydanticCustomError(
                "payment_purpose", "a membership or contribution payment names a household and no order"
            )
        if self.purpose != "order" and self.solidarity_cents:
            raise PydanticCustomError("payment_purpose", "only a payment for an order carries a solidarity share")
        if self.payee_producer_id is not None and self.method != "cheque":
            raise PydanticCustomError("payment_payee", "only a payment by cheque names a payee producer")
        return self

    @model_serializer(mode="wrap")
    def _without_default_purpose(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        if data.get("purpose") == "order":
            del data["purpose"]
        if data.get("payee_producer_id", 0) is None:
            del data["payee_producer_id"]
        return data


class SaleLine(_Model):
    """One product of the catalogue of extras sold: ``quantity`` pieces at ``unit_price_cents`` (the full price the
    pack gave).

    A product sold by weight (``sold_by`` "kg") is weighed at the point: its line gives the ``grams`` sold, its
    ``unit_price_cents`` is the price per kg and its ``quantity`` is 1 (one weighed piece); ``sync.pricing``'s kg
    rule prices it, and the stock counts grams. ``grams`` is left out of the written form when absent
    (``_without_grams``), so a sale recorded before the field existed keeps its hash."""

    product_id: Id
    quantity: Annotated[int, Strict(), Field(ge=1, le=MAX_QUANTITY)]
    unit_price_cents: Cents
    grams: Annotated[int, Strict(), Field(ge=1, le=MAX_QUANTITY)] | None = None

    @model_validator(mode="after")
    def _one_weighed_piece(self) -> "SaleLine":
        if self.grams is not None and self.quantity != 1:
            raise PydanticCustomError("sale_weighed", "a line sold by weight is one piece of its grams")
        return self

    @model_serializer(mode="wrap")
    def _without_grams(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        if data.get("grams", 0) is None:
            del data["grams"]
        return data

    @property
    def sold(self) -> int:
        """What the line takes from the stock: grams for a line sold by weight, pieces otherwise."""
        return self.grams if self.grams is not None else self.quantity

    @property
    def sold_by(self) -> str:
        return WEIGHED if self.grams is not None else "piece"


class Sale(_Model):
    """Extras sold at the point without a pre-order (docs/extras.md), and their payment, in one event.

    ``household_id`` names the member who buys, or is left out for an anonymous buyer. A member pays their tier's
    ``share_percent`` of each line (``sync.pricing``, the one rule); an anonymous buyer pays the full price (100) on
    the spot, from no account. ``amount_cents`` is what the lines are due, and it is split as a payment's is: the parts
    ``from_prepaid_cents`` and ``from_allowance_cents`` come out of the member's accounts, the rest was paid by
    ``method`` (an account method is named only when there is no rest). A sale due nothing names a method that is no
    account. Selling more than the stock, or paying from the allowance for products it may not pay, is a fact at the
    point: a conflict (``sync.conflicts``), never a refusal. A cheque names its payee producer as a payment's does
    (``payee_producer_id``, left out of the written form when null).
    """

    household_id: Id | None = None
    lines: list[SaleLine] = Field(min_length=1, max_length=MAX_LINES)
    share_percent: Annotated[int, Strict(), Field(ge=0, le=100)] = 100
    amount_cents: Cents
    method: PaymentMethod
    method_details: Detail | None = None
    from_prepaid_cents: Cents = 0
    from_allowance_cents: Cents = 0
    payee_producer_id: Id | None = None

    # The same names as a payment's, so what sums payments (the projection, the ledger) reads a sale alike.
    @property
    def order_id(self) -> None:
        return None

    @property
    def purpose(self) -> str:
        return "sale"

    @property
    def rest_cents(self) -> int:
        return self.amount_cents - self.from_prepaid_cents - self.from_allowance_cents

    @property
    def full_cents(self) -> int:
        return sum(line_full_cents(line.sold, line.unit_price_cents, line.sold_by) for line in self.lines)

    @property
    def solidarity_cents(self) -> int:
        """The part of the full price the network carries (a member's tier)."""
        return self.full_cents - self.amount_cents

    def line_due(self, line: SaleLine) -> int:
        return line_due_cents(line.sold, line.unit_price_cents, self.share_percent, line.sold_by)

    @model_validator(mode="after")
    def _consistent(self) -> "Sale":
        products = [line.product_id for line in self.lines]
        if len(set(products)) != len(products):
            raise PydanticCustomError("duplicate_product", "each product appears once in a sale")
        if self.amount_cents != sum(self.line_due(line) for line in self.lines):
            raise PydanticCustomError("sale_amount", "amount_cents is the sum of the lines due at share_percent")
        if self.household_id is None and (
            self.share_percent != 100 or self.from_prepaid_cents or self.from_allowance_cents
        ):
            raise PydanticCustomError(
                "sale_anonymous", "an anonymous buyer pays the full price on the spot, from no account"
            )
        if self.rest_cents < 0:
            raise PydanticCustomError("payment_split", "the amounts from the accounts exceed amount_cents")
        if self.method in ACCOUNT_METHODS:
            share = self.from_prepaid_cents if self.method == "prepaid" else self.from_allowance_cents
            if self.rest_cents or not share:
                raise PydanticCustomError(
                    "payment_split", "an account method is named only when the accounts cover the whole amount"
                )
        elif not self.rest_cents and self.amount_cents:
            raise PydanticCustomError("payment_split", "nothing is left to pay by this method")
        if self.payee_producer_id is not None and self.method != "cheque":
            raise PydanticCustomError("payment_payee", "only a payment by cheque names a payee producer")
        return self

    @model_serializer(mode="wrap")
    def _without_null_payee(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        if data.get("payee_producer_id", 0) is None:
            del data["payee_producer_id"]
        return data


class TopUp(_Model):
    """A credit paid at the point (versement): the member hands ``amount_cents`` over by ``method`` and it is
    credited to their prepaid account. A cheque names its number in ``method_details``; a card terminal's or a
    transfer's reference goes there too. See ``docs/accounts.md``, "Credit paid at the point"."""

    household_id: Id
    amount_cents: PositiveCents
    method: TopUpMethod
    method_details: Detail | None = None
    account: TopUpAccount = "prepaid"

    @model_validator(mode="after")
    def _cheque_number(self) -> "TopUp":
        if self.method == "cheque" and not (self.method_details or "").strip():
            raise PydanticCustomError("top_up_cheque_number", "a top-up by cheque gives the cheque number")
        return self


class Shortage(_Model):
    """A product delivered short (or not at all) for the whole distribution: ``delivered`` is what is there for the
    orders not handed over yet (pieces, or grams for a product sold by weight; 0: none). ``sync.shortages`` shares
    it among them; a later shortage of the same product replaces it, a void undoes it."""

    product_id: Id
    delivered: Quantity = 0


class Substitution(_Model):
    """A product replaced by another for the whole distribution (leeks brought instead of carrots): the orders not
    handed over yet receive ``by_product_id`` in place of ``product_id``, the same quantity, at
    ``unit_price_cents`` (the substitute's full price, per kg for a line sold by weight). ``sync.substitutions``
    applies it; a later substitution or shortage of the same product replaces it, a void undoes it."""

    product_id: Id
    by_product_id: Id
    unit_price_cents: Cents

    @model_validator(mode="after")
    def _another_product(self) -> "Substitution":
        if self.product_id == self.by_product_id:
            raise PydanticCustomError("substitute_same_product", "a product is replaced by another one")
        return self


class Void(_Model):
    """Undo an event (a mistake on the phone). A void can itself be voided, which restores the event."""

    event_id: EventId
    reason: Reason = ""


class CashCount(_Model):
    """The opening float or the closing count of the device's cash box, optionally by denomination."""

    kind: CashCountKind
    total_cents: Cents
    denominations: dict[Denomination, Quantity] | None = Field(default=None, max_length=MAX_DENOMINATIONS)

    @model_validator(mode="after")
    def _total_matches(self) -> "CashCount":
        if self.denominations is not None:
            counted = sum(int(value) * count for value, count in self.denominations.items())
            if counted != self.total_cents:
                raise PydanticCustomError("cash_total", "the denominations do not add up to total_cents")
        return self


class ScanRefused(_Model):
    """A ticket refused at the point (forged, revoked, unknown…): the admin sees refusals too."""

    reason: ScanRefusalReason
    member_id: Id | None = None


class Note(_Model):
    text: Text2000


class ConflictResolved(_Model):
    """An admin's or coordinator's decision on a conflict, written by the server. ``void_event`` voids
    ``event_id`` exactly as a void would."""

    conflict_key: ConflictKey
    action: ResolutionAction
    comment: Text2000
    event_id: EventId | None = None

    @model_validator(mode="after")
    def _void_names_event(self) -> "ConflictResolved":
        if self.action == "void_event" and self.event_id is None:
            raise PydanticCustomError("void_without_event", "the void_event action names the event_id it voids")
        return self


# Events: the envelope and one model per type


class _Envelope(_Model):
    id: EventId
    schema_version: Annotated[Literal[1], BeforeValidator(_only_int)]
    device_id: DeviceId
    volunteer_id: Id
    distribution_id: Id
    device_time: DeviceTime
    seq: Id
    prev_hash: Hash | None

    @field_validator("prev_hash")
    @classmethod
    def _chain_start(cls, value: str | None, info: ValidationInfo) -> str | None:
        seq = info.data.get("seq")
        if seq == 1 and value is not None:
            raise PydanticCustomError("chain_start", "the first event of a chain (seq 1) has prev_hash null")
        if seq is not None and seq > 1 and value is None:
            raise PydanticCustomError("chain_link", "prev_hash is null only when seq is 1")
        return value

    @field_serializer("device_time")
    def _fixed_time(self, value: datetime) -> str:
        return format_time(value)


class HandoverEvent(_Envelope):
    type: Literal["handover"]
    payload: Handover


class PaymentEvent(_Envelope):
    type: Literal["payment"]
    payload: Payment


class TopUpEvent(_Envelope):
    type: Literal["top_up"]
    payload: TopUp


class SaleEvent(_Envelope):
    type: Literal["sale"]
    payload: Sale


class ShortageEvent(_Envelope):
    type: Literal["shortage"]
    payload: Shortage


class SubstitutionEvent(_Envelope):
    type: Literal["substitution"]
    payload: Substitution


class VoidEvent(_Envelope):
    type: Literal["void"]
    payload: Void


class CashCountEvent(_Envelope):
    type: Literal["cash_count"]
    payload: CashCount


class ScanRefusedEvent(_Envelope):
    type: Literal["scan_refused"]
    payload: ScanRefused


class NoteEvent(_Envelope):
    type: Literal["note"]
    payload: Note


class ConflictResolvedEvent(_Envelope):
    type: Literal["conflict_resolved"]
    payload: ConflictResolved


Event = Annotated[
    HandoverEvent
    | PaymentEvent
    | VoidEvent
    | CashCountEvent
    | ScanRefusedEvent
    | NoteEvent
    | ConflictResolvedEvent
    | TopUpEvent
    | SaleEvent
    | ShortageEvent
    | SubstitutionEvent,
    Field(discriminator="type"),
]
MODELS: Final[dict[str, type[_Envelope]]] = {
    "handover": HandoverEvent,
    "payment": PaymentEvent,
    "void": VoidEvent,
    "cash_count": CashCountEvent,
    "scan_refused": ScanRefusedEvent,
    "note": NoteEvent,
    "conflict_resolved": ConflictResolvedEvent,
    "top_up": TopUpEvent,
    "sale": SaleEvent,
    "shortage": ShortageEvent,
    "substitution": SubstitutionEvent,
}
EVENT_TYPES: Final = tuple(MODELS)
EVENT_ADAPTER: Final = TypeAdapter(Event)


def format_time(value: datetime) -> str:
    """The one written form of a time: UTC, milliseconds, ``Z`` (what JavaScript's ``toISOString()`` gives)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def new_event_id(unix_ms: int | None = None, random_bits: int | None = None) -> str:
    """A UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits."""
    if unix_ms is None:
        unix_ms = time.time_ns() // 1_000_000
    if random_bits is None:
        random_bits = int.from_bytes(os.urandom(10), "big")
    random_bits &= (1 << 74) - 1
    value = (
        (unix_ms & ((1 << 48) - 1)) << 80
        | 0x7 << 76
        | (random_bits >> 62) << 64  # rand_a, 12 bits
        | 0b10 << 62  # RFC 9562 variant
        | (random_bits & ((1 << 62) - 1))  # rand_b, 62 bits
    )
    return str(uuid.UUID(int=value))


# Parsing


@dataclass(frozen=True)
class FieldError:
    """One problem in an item: where (``loc``, as pydantic gives it, inside the event), what (``type``, stable),
    and an English message for people."""

    loc: tuple[str | int, ...]
    type: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "type": self.type, "message": self.message}


class InvalidEvent(ValueError):
    def __init__(self, reason: str, errors: Sequence[FieldError] = (), event_id: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.errors = tuple(errors)
        self.event_id = event_id


@dataclass(frozen=True)
class Rejection:
    """Why item ``index`` of a batch was refused; ``event_id`` is the item's id when it had a readable one."""

    index: int
    event_id: str | None
    reason: str
    errors: tuple[FieldError, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "event_id": self.event_id,
            "reason": self.reason,
            "errors": [error.to_json() for error in self.errors],
        }


def _nul_at(data: Any) -> tuple[str | int, ...] | None:
    """Where the first NUL (U+0000) of ``data`` is, in a key or a string value at any depth; None if there is none.
    PostgreSQL can store no NUL in text or JSON, so such an event could never be kept, whatever field holds it.

    JSON writes a NUL as ``\\u0000``: when the C encoder finds none, there is none, and the walk (a tenth of the
    time of reading back a 20,000-event log) is skipped."""
    try:
        if "\\u0000" not in json.dumps(data, ensure_ascii=True, default=str):
            return None
    except (TypeError, ValueError, RecursionError):
        pass  # not JSON-like (keys that are not strings, cycles, nesting too deep): walk it
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return loc
        elif isinstance(value, dict):
            for key, child in value.items():
                if isinstance(key, str) and "\x00" in key:
                    return (*loc, key)
                stack.append(((*loc, key), child))
        elif isinstance(value, list):
            stack.extend(((*loc, index), child) for index, child in enumerate(value))
    return None


def _readable_id(data: Any) -> str | None:
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


def stored_event(data: dict[str, Any]) -> Event:
    """An event read back from the server's store: ``parse_event`` accepted it when it arrived, so only its model
    builds it again (and would still refuse a row changed behind the server's back), without the checks that only
    make a device's mistakes readable."""
    return MODELS[data["type"]].model_validate(data)


def parse_event(data: Any) -> Event:
    """The event ``data`` (a decoded JSON object) describes, else :class:`InvalidEvent` with a reason from
    ``REJECTION_REASONS``. The schema version is checked first (a newer device may send types this server does not
    know yet), then the type, then that no NUL is anywhere in it (``invalid_text``), then every field; an event
    whose only faults are characters its text fields may not hold is ``invalid_text`` too."""
    event_id = _readable_id(data)
    if not isinstance(data, dict):
        raise InvalidEvent("malformed", [FieldError((), "object_type", "an event is a JSON object")])
    version = data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version not in SUPPORTED_SCHEMA_VERSIONS:
        supported = ", ".join(map(str, SUPPORTED_SCHEMA_VERSIONS))
        error = FieldError(("schema_version",), "unsupported_schema_version", f"supported versions: {supported}")
        raise InvalidEvent("unsupported_schema_version", [error], event_id)
    kind = data.get("type")
    if not isinstance(kind, str):
        error = FieldError(("type",), "missing" if kind is None else "string_type", "type is one of the event types")
        raise InvalidEvent("malformed", [error], event_id)
    if kind not in MODELS:
        error = FieldError(("type",), "unknown_type", f"known types: {', '.join(EVENT_TYPES)}")
        raise InvalidEvent("unknown_type", [error], event_id)
    nul = _nul_at(data)
    if nul is not None:
        error = FieldError(nul, "text_nul", "text must not contain the NUL character (U+0000)")
        raise InvalidEvent("invalid_text", [error], event_id)
    try:
        return MODELS[kind].model_validate(data)
    except ValidationError as exc:
        errors = [
            FieldError(tuple(error["loc"]), error["type"], error["msg"])
            for error in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
        text_only = all(error.type in TEXT_ERROR_TYPES for error in errors)
        raise InvalidEvent("invalid_text" if text_only else "malformed", errors, event_id) from exc


def validate_batch(items: Sequence[Any]) -> tuple[list[Event], list[Rejection]]:
    """Every valid item as an event (in the items' order) and a rejection for each other item: a bad item never
    blocks the ones after it. The items not named by a rejection are the events, in order."""
    events: list[Event] = []
    rejections: list[Rejection] = []
    for index, item in enumerate(items):
        try:
            events.append(parse_event(item))
        except InvalidEvent as invalid:
            rejections.append(Rejection(index, invalid.event_id, invalid.reason, invalid.errors))
    return events, rejections


def event_json_schema(ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    """JSON Schema of an event (a ``oneOf`` discriminated by ``type``), for the OpenAPI document; pass
    ``ref_template="#/components/schemas/{model}"`` to place the definitions among OpenAPI's components."""
    return EVENT_ADAPTER.json_schema(ref_template=ref_template)
