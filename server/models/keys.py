"""The server's own private keys other than ticket keys (today: the VAPID key), one row each, sealed."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.extensions import db
from server.models.types import UTCDateTime


class SealedKey(db.Model):
    """A named private key, sealed with the secret key (server/sealed.py).

    The name is the primary key: servers starting at once each try ``INSERT … ON CONFLICT DO NOTHING`` and all read
    back the one row that won, so the network has one VAPID key whichever server made it.
    """

    __tablename__ = "sealed_keys"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
