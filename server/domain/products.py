"""Products members order, priced in integer cents at the full price. Deactivated, never deleted.

A price change applies to new orders only: order lines keep the unit price agreed when they were taken. The
catalogue is the network's: only admins change it (``actor``: see ``server.domain.points``).
"""

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from server.audit import record
from server.domain import DomainError, apply_changes, clean, is_taken, require_text
from server.domain.points import require_admin
from server.extensions import db
from server.models import OrderLine, Producer, Product, User
from sync.vocabulary import SOLD_BY

PRODUCT_FIELDS = ("code", "name", "unit", "producer_id", "sold_by", "unit_price_cents", "allowance_eligible", "active")


def create_product(data: Mapping[str, Any], *, actor: User | None = None) -> Product:
    require_admin(actor)
    values = _checked(data, None)
    product = Product(**values)
    db.session.add(product)
    db.session.flush()
    record(
        "product.create",
        target=f"product:{product.id}",
        code=product.code,
        unit_price_cents=product.unit_price_cents,
    )
    return product


def update_product(product: Product, data: Mapping[str, Any], *, actor: User | None = None) -> Product:
    require_admin(actor)
    changes = apply_changes(product, _checked(data, product))
    if changes:
        db.session.flush()
        record("product.update", target=f"product:{product.id}", changes=changes)
    return product


def _ordered(product: Product) -> bool:
    return db.session.scalar(select(OrderLine.id).where(OrderLine.product_id == product.id).limit(1)) is not None


def _checked(data: Mapping[str, Any], product: Product | None) -> dict[str, Any]:
    values = clean(Product, data, PRODUCT_FIELDS)
    if product is None:
        values.setdefault("code", "")
        values.setdefault("name", "")
        values.setdefault("unit_price_cents", None)
    require_text(values, "code", _l("Give the product a code."))
    require_text(values, "name", _l("Give the product a name."))
    if "code" in values and is_taken(Product, Product.code, values["code"], product):
        raise DomainError(_l("Another product already has this code."), field="code")
    if values.get("producer_id") is not None and db.session.get(Producer, values["producer_id"]) is None:
        raise DomainError(_l("Choose a producer from the list."), field="producer_id")
    if "sold_by" in values and values["sold_by"] not in SOLD_BY:
        raise DomainError(_l("Choose how the product is sold."), field="sold_by")
    if product is not None and values.get("sold_by", product.sold_by) != product.sold_by and _ordered(product):
        # An order line counts pieces, or grams for a product sold by weight: changing the unit would change them.
        raise DomainError(
            _l("This product has been ordered already, so how it is sold cannot change: create a new product."),
            field="sold_by",
        )
    if "unit_price_cents" in values:
        price = values["unit_price_cents"]
        if not isinstance(price, int) or isinstance(price, bool) or price < 0:
            raise DomainError(_l("Give the full price of the product, in euros."), field="unit_price_cents")
    return values
