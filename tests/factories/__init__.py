"""Test data built with the models directly: each factory runs in the caller's app context, commits, and returns ids
(not objects: tests open and close app contexts freely).

- ``network``: ``make_network`` (two tiers, four households, coded products, two distributions on fixed dates) and
  ``make_order``, for the admin pages, the order import and the tickets.
- ``primitives``: what the worlds are made of (a distribution relative to the clock's now, an order priced from its
  products at the household's tier, volunteers of a point, accounts, tickets).
- One module per test world, named for the tests it serves: its dataclass of ids and its factory function.
"""

from tests.factories.authorization import Samples, authorization_samples
from tests.factories.devices import DevicesWorld, devices_world
from tests.factories.distribution_log import DistributionLogWorld, distribution_log_world
from tests.factories.network import PRODUCTS, Network, make_network, make_order
from tests.factories.packs import PacksWorld, packs_world
from tests.factories.pwa_data import PwaDataWorld, pwa_data_world
from tests.factories.sync_api import SyncWorld, sync_world
from tests.factories.volunteer_app import VolunteerAppWorld, volunteer_app_world

__all__ = [
    "PRODUCTS",
    "DevicesWorld",
    "DistributionLogWorld",
    "Network",
    "PacksWorld",
    "PwaDataWorld",
    "Samples",
    "SyncWorld",
    "VolunteerAppWorld",
    "authorization_samples",
    "devices_world",
    "distribution_log_world",
    "make_network",
    "make_order",
    "packs_world",
    "pwa_data_world",
    "sync_world",
    "volunteer_app_world",
]
