"""The network's ticket signing keys: public halves, their state, and the private halves sealed (server/sealed.py)."""

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.extensions import db
from server.models.types import UTCDateTime


class TicketKey(db.Model):
    """An Ed25519 key by its ticket key id (0–255).

    The newest key that is not retired signs new tickets; every key not withdrawn still verifies, so a rotation
    never invalidates the cards already printed. Withdrawing a key invalidates every ticket it signed.
    """

    __tablename__ = "ticket_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The private key (its raw 32 bytes) sealed with the secret key; deferred: only signing reads it. None until the key
    # file of a database older than 0018_sealed_keys is imported (server/ticket_keys.py).
    sealed_private_key: Mapped[str | None] = mapped_column(Text, deferred=True)

    __table_args__ = (db.CheckConstraint("id >= 0 AND id <= 255", name="key_id_range"),)
