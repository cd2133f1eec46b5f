"""The catalogue of extras: what a distribution offers without a pre-order, with its stock (docs/extras.md)."""

from sqlalchemy import CheckConstraint, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.distribution import Distribution, Product


class Extra(db.Model):
    """A product a distribution sells at the point, at the product's price. ``stock`` is how many pieces there are
    to sell (None: as many as asked); the phones sell it down offline and the server keeps a sale beyond it as an
    ``oversold`` conflict."""

    __tablename__ = "extras"

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    stock: Mapped[int | None] = mapped_column(Integer)

    distribution: Mapped[Distribution] = relationship()
    product: Mapped[Product] = relationship()

    __table_args__ = (
        UniqueConstraint("distribution_id", "product_id"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
    )
