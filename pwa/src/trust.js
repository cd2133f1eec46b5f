// What the phone trusts to check member tickets offline: the network's public keys and the revocations, downloaded
// from `/api/tickets/trust` whenever the phone is online and kept in IndexedDB (meta `ticketTrust`). The first
// download pages through every revocation of the network; later ones ask only for what changed after the cursor
// kept (`?since=`). A ticket revoked or re-issued, or signed by a withdrawn key, is refused offline once this has
// been refreshed, at any point: the pack's own list holds only the revocations of its point and expected members.
import { ApiError, call } from './api.js';
import * as store from './store.js';
import { importPublicKeys, verifyTicket } from './tickets.js';

const KEY = 'ticketTrust';
let kept = null; // a promise of what is stored, read once: every scan asks it

function stored() {
  kept ??= store.getMeta(KEY).catch(() => {
    kept = null; // read again next time
    return null;
  });
  return kept;
}

/** Download the keys and the revocations changed since the last refresh, keep them; resolves to what was stored. */
export async function refreshTrust() {
  const before = await store.getMeta(KEY);
  let cursor = before?.cursor ?? '0'; // a copy kept before cursors existed is downloaded again whole
  let minSerials = cursor === '0' ? {} : { ...before.min_serials };
  let publicKeys = before?.public_keys ?? {};
  for (;;) {
    let page;
    try {
      page = await call('GET', `/api/tickets/trust?since=${encodeURIComponent(cursor)}`);
    } catch (error) {
      // The server does not know the cursor (a database restored from a backup): start again from the beginning.
      if (!(error instanceof ApiError && error.reason === 'cursor_unknown' && cursor !== '0')) throw error;
      cursor = '0';
      minSerials = {};
      continue;
    }
    publicKeys = page.public_keys;
    for (const [memberId, serial] of Object.entries(page.min_serials)) {
      minSerials[memberId] = Math.max(minSerials[memberId] ?? 0, serial); // a lowest valid serial only rises
    }
    cursor = page.cursor;
    if (!page.more) break;
  }
  const trust = { public_keys: publicKeys, min_serials: minSerials, cursor, refreshedAt: new Date().toISOString() };
  await store.setMeta(KEY, trust);
  kept = Promise.resolve(trust);
  return trust;
}

/** When the phone last refreshed its trust (ISO string), or null if it never did. */
export async function trustRefreshedAt() {
  return (await store.getMeta(KEY))?.refreshedAt ?? null;
}

/** The lowest valid serial of a member's ticket the phone last downloaded (0: none revoked, or never refreshed). */
export async function trustedMinSerial(memberId) {
  return (await stored())?.min_serials?.[String(memberId)] ?? 0;
}

/** The network's public keys the phone holds, imported (Map key id → CryptoKey); null if it never downloaded them.
 * They check tickets and the signature of a pack, whoever handed it over (packs.js). */
export async function trustedPublicKeys() {
  const trust = await store.getMeta(KEY);
  return trust ? importPublicKeys(trust.public_keys) : null;
}

/** Check a scanned or typed ticket offline: `{ ok: true, ticket }` or `{ ok: false, reason }` (docs/tickets.md;
 * `no_trust` when the phone never downloaded the keys). */
export async function checkTicket(text) {
  const trust = await store.getMeta(KEY);
  if (!trust) return { ok: false, reason: 'no_trust' };
  return verifyTicket(text, await importPublicKeys(trust.public_keys), trust.min_serials);
}
