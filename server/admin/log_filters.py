"""The distribution log's timeline filters: by phone, by volunteer, by type of event (``docs/distribution-log.md``).

Filters are GET parameters (``phone`` a device's public id, also read as ``device``; ``volunteer`` a user id;
``type`` an event type), so a filtered timeline is a link to bookmark or send, and its pages keep them
(``admin/_pagination.html`` keeps the query string). The choices are those the log holds; a value that is not one of
them is ignored and said so, never an error. Filtering reads the entries the log page read anyway: no query more.
"""

from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import gettext as _

from server.domain.distribution_log import LogEntry
from server.labels import EVENT_TYPE_LABELS
from server.urls import MAX_ID

FILTERS = ("phone", "volunteer", "type")


@dataclass(frozen=True)
class TimelineFilters:
    """The filters asked for and kept (``args`` the query parameters to keep in links), the choices the form
    offers (value, label), and why a value asked for was ignored."""

    phone: str = ""
    volunteer: int | None = None
    type: str = ""
    phones: tuple[tuple[str, str], ...] = ()
    volunteers: tuple[tuple[str, str], ...] = ()
    types: tuple[tuple[str, str], ...] = ()
    ignored: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.phone or self.volunteer is not None or self.type)

    @property
    def args(self) -> dict[str, Any]:
        kept = {"phone": self.phone, "volunteer": self.volunteer, "type": self.type}
        return {name: value for name, value in kept.items() if value not in ("", None)}

    def keeps(self, entry: LogEntry) -> bool:
        event = entry.event
        return (
            (not self.phone or event.device_id == self.phone)
            and (self.volunteer is None or event.volunteer_id == self.volunteer)
            and (not self.type or event.type == self.type)
        )


def timeline_filters(entries: list[LogEntry], device_name, person_name) -> TimelineFilters:
    """The filters of this request's query string among the choices ``entries`` offer (names by ``device_name``
    and ``person_name``: the log's ``Words``)."""
    phones = sorted(
        {entry.event.device_id for entry in entries}, key=lambda public_id: device_name(public_id).casefold()
    )
    volunteer_ids = sorted({entry.event.volunteer_id for entry in entries if entry.event.volunteer_id is not None})
    volunteers = sorted(((str(i), person_name(i)) for i in volunteer_ids), key=lambda pair: pair[1].casefold())
    present = {entry.event.type for entry in entries}
    types = tuple((code, str(label)) for code, label in EVENT_TYPE_LABELS.items() if code in present)
    ignored = []
    phone = (request.args.get("phone") or request.args.get("device") or "").strip()  # "device": the API's word
    if phone and phone not in set(phones):
        ignored.append(_("No event of this log was recorded by the phone asked for: every phone is shown."))
        phone = ""
    asked = request.args.get("volunteer", "").strip()
    digits = asked.isascii() and asked.isdigit() and len(asked) <= len(str(MAX_ID))
    volunteer = int(asked) if digits and 1 <= int(asked) <= MAX_ID else None
    if asked and (volunteer is None or volunteer not in volunteer_ids):
        ignored.append(_("No event of this log was recorded by the volunteer asked for: every volunteer is shown."))
        volunteer = None
    kind = request.args.get("type", "").strip()
    if kind and kind not in present:
        ignored.append(_("No event of this log is of the type asked for: every type is shown."))
        kind = ""
    return TimelineFilters(
        phone=phone,
        volunteer=volunteer,
        type=kind,
        phones=tuple((public_id, device_name(public_id)) for public_id in phones),
        volunteers=tuple(volunteers),
        types=types,
        ignored=tuple(ignored),
    )
