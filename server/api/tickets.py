"""What an enrolled phone downloads to check member tickets offline: public keys and the revocation list."""

from flask import jsonify

from server.api import bp
from server.api.openapi import described
from server.auth.access import device_required
from server.domain.tickets import revocation_list
from server.ticket_keys import public_keys
from sync.pack import PackTickets
from sync.tickets import trust_json


@bp.get("/tickets/trust")
@device_required
@described("The public keys and revocation list that check tickets offline.", answers={200: PackTickets})
def ticket_trust():
    """Any enrolled phone, with or without a volunteer: nothing here is personal (member ids and serials only), and
    a phone must be able to refresh it before the first volunteer of the day signs in."""
    return jsonify(trust_json(public_keys(), revocation_list()))
