"""The farmers and makers a network buys from: who cheques are made out to, how to reach them."""

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from server.extensions import db
from server.search_text import sort_key


class Producer(db.Model):
    """A producer (paysan, artisan): their products, contracts, cheques and reports hang on this record."""

    __tablename__ = "producers"
    __table_args__ = (Index("ix_producers_sort_name", "sort_name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # The name as lists sort it (``sort_key``: "Élevage" between "abeilles" and "Ferme"), kept by ``_sorted_name``.
    sort_name: Mapped[str] = mapped_column(String(240), default="", server_default="")
    contact: Mapped[str] = mapped_column(String(120), default="", server_default="")
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Who cheques are made out to ("l'ordre des chèques"): often a farm's company name, not the producer's.
    cheque_payee: Mapped[str] = mapped_column(String(120), default="", server_default="")
    iban: Mapped[str] = mapped_column(String(34), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")

    @validates("name")
    def _sorted_name(self, _key: str, name: str) -> str:
        self.sort_name = sort_key(name or "")
        return name

    @property
    def payee(self) -> str:
        """The name to write on a cheque: the payee when given, else the producer's name."""
        return self.cheque_payee or self.name
