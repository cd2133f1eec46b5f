// What the phone trusts to check member tickets offline: the network's public keys and the revocation list,
// downloaded from `/api/tickets/trust` whenever the phone is online and kept in IndexedDB (meta `ticketTrust`).
// A ticket revoked or re-issued, or signed by a withdrawn key, is refused offline once this has been refreshed.
import { call } from './api.js';
import * as store from './store.js';
import { importPublicKeys, verifyTicket } from './tickets.js';

const KEY = 'ticketTrust';

/** Download the keys and the revocation list and keep them; resolves to what was stored. */
export async function refreshTrust() {
  const trust = await call('GET', '/api/tickets/trust');
  const stored = { ...trust, refreshedAt: new Date().toISOString() };
  await store.setMeta(KEY, stored);
  return stored;
}

/** When the phone last refreshed its trust (ISO string), or null if it never did. */
export async function trustRefreshedAt() {
  return (await store.getMeta(KEY))?.refreshedAt ?? null;
}

/** Check a scanned or typed ticket offline: `{ ok: true, ticket }` or `{ ok: false, reason }` (docs/tickets.md;
 * `no_trust` when the phone never downloaded the keys). */
export async function checkTicket(text) {
  const trust = await store.getMeta(KEY);
  if (!trust) return { ok: false, reason: 'no_trust' };
  return verifyTicket(text, await importPublicKeys(trust.public_keys), trust.min_serials);
}
