"""The distribution pack a phone downloads before going offline: ETag, ``304 Not Modified``, gzip on the wire.

The pack is built on every request (``server.domain.packs``; well under the 200 ms budget for 1,000 members, see
``docs/performance.md``) and its ETag is the SHA-256 of its canonical bytes, so nothing has to be invalidated when
an order, a ticket or a balance changes. Every answer, 304 included, carries the server's signature of the pack
(``Comptoir-Pack-Signature``, ``sync.pack_signature``): a phone can then hand the pack to another phone, which trusts
it with the network's public keys alone. See ``docs/packs.md``, "Signature".
"""

import gzip

from flask import current_app, request
from werkzeug.datastructures import ETags

from server.api import bp
from server.api.auth import current_device, require_distribution
from server.api.openapi import described
from server.auth.access import shift_required
from server.clock import utcnow
from server.domain.packs import distribution_pack as build_distribution_pack
from server.domain.packs import inputs_digests, remember_held_pack
from server.ticket_keys import signing_key
from sync import pack_signature
from sync.pack import Pack

GZIP_LEVEL = 6  # 1,000 members: 41 KB in 4 ms; level 9 gives 38 KB in 16 ms, level 1 62 KB in 1.5 ms
GZIP_SUFFIX = "-gzip"  # a gzipped answer is another representation: another strong ETag (RFC 9110 §8.8.3)


def wants_gzip() -> bool:
    return request.accept_encodings.quality("gzip") > 0


def etag_for(digest: str, gzipped: bool) -> str:
    return f'"{digest}{GZIP_SUFFIX if gzipped else ""}"'


def already_has(if_none_match: ETags, digest: str) -> bool:
    """Whether ``If-None-Match`` names this pack, in either encoding (weak comparison, as RFC 9110 §13.1.2 asks)."""
    if if_none_match.star_tag:
        return True
    return any(tag.removesuffix(GZIP_SUFFIX) == digest for tag in if_none_match.as_set(include_weak=True))


@bp.get("/distributions/<id:distribution_id>/pack")
@shift_required
@described(
    "The pack of a distribution: what the phone needs to run it offline (ETag, 304, gzip: docs/packs.md).",
    answers={200: Pack, 304: "Not Modified: If-None-Match names the current pack. No body."},
)
def distribution_pack(distribution_id: int):
    """The pack of a distribution this device and volunteer may run; ``304`` when ``If-None-Match`` names it."""
    distribution = require_distribution(distribution_id)
    key_id, key = signing_key()  # first: on a new network it creates the key, which the pack's trust then holds
    inputs = inputs_digests([distribution.id])[distribution.id]  # first: a change after it shows at the next check
    pack = build_distribution_pack(distribution)
    remember_held_pack(current_device(), distribution, pack.digest, inputs)
    gzipped = wants_gzip()
    if already_has(request.if_none_match, pack.digest):
        response = current_app.response_class(status=304)
    else:
        body = gzip.compress(pack.body, compresslevel=GZIP_LEVEL, mtime=0) if gzipped else pack.body
        response = current_app.response_class(body, mimetype="application/json")
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
    response.headers["ETag"] = etag_for(pack.digest, gzipped)
    signed_at = int(utcnow().timestamp())
    response.headers[pack_signature.HEADER] = pack_signature.sign(pack.body, key_id, key, signed_at).header()
    response.vary.add("Accept-Encoding")
    return response
