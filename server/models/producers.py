"""The farmers and makers a network buys from: who cheques are made out to, how to reach them."""

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db


class Producer(db.Model):
    """A producer (paysan, artisan): their products, contracts, cheques and reports hang on this record."""

    __tablename__ = "producers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    contact: Mapped[str] = mapped_column(String(120), default="", server_default="")
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Who cheques are made out to ("l'ordre des chèques"): often a farm's company name, not the producer's.
    cheque_payee: Mapped[str] = mapped_column(String(120), default="", server_default="")
    iban: Mapped[str] = mapped_column(String(34), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")

    @property
    def payee(self) -> str:
        """The name to write on a cheque: the payee when given, else the producer's name."""
        return self.cheque_payee or self.name
