"""All models, imported here so Alembic and ``db.create_all`` see the whole schema."""

from server.models.allowance import AllowanceCycle, AllowanceRule, ContributionBand
from server.models.audit import AuditEntry
from server.models.checks import DistributionCheck
from server.models.cheques import Cheque
from server.models.contracts import (
    Absence,
    Contract,
    ContractProduct,
    Subscription,
    SubscriptionQuantity,
    contract_dates,
)
from server.models.contribution import Contribution
from server.models.distribution import Distribution, Order, OrderLine, Point, Product, distribution_volunteers
from server.models.extras import Extra
from server.models.keys import SealedKey
from server.models.ledger import Account, AccountMovement
from server.models.membership import MembershipFee
from server.models.network import NetworkSettings
from server.models.people import Household, Passkey, SignInLink, Tier, User, WebAuthnChallenge
from server.models.producers import Producer
from server.models.push import HeldPack, PushCheck, PushDelivery, PushSubscription
from server.models.sync import Conflict, Device, DeviceEnrolment, Shift, SyncedEvent
from server.models.tickets import TicketKey

__all__ = [
    "Absence",
    "Account",
    "AccountMovement",
    "AllowanceCycle",
    "AllowanceRule",
    "AuditEntry",
    "Cheque",
    "Conflict",
    "Contract",
    "ContractProduct",
    "Contribution",
    "ContributionBand",
    "Device",
    "DeviceEnrolment",
    "Distribution",
    "DistributionCheck",
    "Extra",
    "HeldPack",
    "Household",
    "MembershipFee",
    "NetworkSettings",
    "Order",
    "OrderLine",
    "Passkey",
    "Point",
    "Producer",
    "Product",
    "PushCheck",
    "PushDelivery",
    "PushSubscription",
    "SealedKey",
    "Shift",
    "SignInLink",
    "Subscription",
    "SubscriptionQuantity",
    "SyncedEvent",
    "TicketKey",
    "Tier",
    "User",
    "WebAuthnChallenge",
    "contract_dates",
    "distribution_volunteers",
]
