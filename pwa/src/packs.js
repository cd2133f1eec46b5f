// Distribution packs on the phone: downloaded before leaving (with If-None-Match, so an unchanged pack costs a
// 304), kept in IndexedDB (`packs`), indexed in memory for what a scan needs at the point (a member by id, by
// manual code, by name, and the ticket keys to check a QR code offline), and wiped once the distribution is over
// and everything recorded for it was sent (`wipeEndedPacks`). The format is docs/packs.md.
import { NetworkError, refusal, send } from './api.js';
import { reasonText } from './i18n.js';
import { HEADER as SIGNATURE, verifyPackSignature } from './pack_signature.js';
import { database, dataChanged, getCurrentShift, getDevice, onDataChange } from './store.js';
import { importPublicKeys, verifyTicket } from './tickets.js';
import { refreshTrust, trustedMinSerial, trustedPublicKeys } from './trust.js';

/** The pack format this app downloads (docs/packs.md, "Format"); a stored version 1 pack is still read. */
export const PACK_FORMAT_VERSION = 3;

/**
 * Download the pack of a distribution and keep it, with its bytes and the server's signature (docs/packs.md,
 * "Signature"): what lets this phone hand it to another phone later (`packForPeer`). Sends the stored pack's ETag as
 * `If-None-Match`: on `304` the stored pack stays as it is (only `checkedAt` changes, and the signature, the same
 * bytes signed again now). Needs the network and a volunteer's shift (the pack holds members' names and what they
 * owe).
 *
 * Throws a NetworkError (no answer), an ApiError with the server's reason (`forbidden_point`, `shift_expired`…),
 * or a PackRefused with `reason` `pack_format_unsupported` for a pack of a format this app does not know, or
 * `pack_not_signed` for a pack whose signature does not hold with the network's keys (a server of this version
 * always signs); the stored one is kept.
 *
 * @param {number} distributionId
 * @param {{token: string}} [shift] the volunteer's shift (default: the current shift)
 * @returns {Promise<{changed: boolean, record: PackRecord}>} `changed` is false on 304
 *
 * @typedef {{distributionId: number, pack: object, body: Uint8Array, signature: string, signedAt: number,
 *   etag: string|null, size: number, downloadedAt: string, checkedAt: string, from: 'server'|'peer'}} PackRecord
 *   `body`: the pack's exact bytes, which the signature covers; `signedAt`: when the server signed it (Unix
 *   seconds); `size`: bytes of the pack's JSON (UTF-8); times: ISO strings
 */
export async function downloadPack(distributionId, shift) {
  const volunteer = shift ?? (await getCurrentShift());
  const stored = await getPack(distributionId);
  // A pack kept without its bytes (by an app from before packs were signed) is downloaded whole again.
  const headers = stored?.etag && stored.body ? { 'If-None-Match': stored.etag } : {};
  const path = `/api/distributions/${distributionId}/pack`;
  const answer = await send('GET', path, { shift: volunteer, headers, timeoutMs: 120000 });
  const now = new Date().toISOString();
  if (answer.status === 304 && stored?.body) {
    const signed = await checkSignature(stored.body, answer.headers.get(SIGNATURE), { refresh: true });
    const fresher = signed.ok && signed.signedAt >= (stored.signedAt ?? 0);
    const record = { ...stored, checkedAt: now, ...(fresher ? { signature: signed.header, signedAt: signed.signedAt } : {}) };
    await (await database()).put('packs', record, distributionId);
    return { changed: false, record };
  }
  if (!answer.ok) throw refusal(answer);
  const pack = answer.data;
  if (!pack || typeof pack !== 'object') throw new NetworkError('the pack did not arrive whole');
  if (pack.format_version !== PACK_FORMAT_VERSION) throw new PackRefused('pack_format_unsupported');
  const body = new TextEncoder().encode(answer.text);
  const signed = await checkSignature(body, answer.headers.get(SIGNATURE), { refresh: true });
  if (!signed.ok) throw new PackRefused('pack_not_signed');
  const record = packRecord(distributionId, pack, body, signed, answer.headers.get('ETag'), 'server', now);
  await keep(record);
  return { changed: true, record };
}

/** A refused pack: `reason` is stable (`pack_not_signed`, `pack_other_point`…), `message` the app's words for it. */
export class PackRefused extends Error {
  constructor(reason) {
    super(reasonText(reason));
    this.reason = reason;
  }
}

/** Check a pack's signature with the network's keys this phone holds; with `refresh` (online), download the keys
 * again first when the phone has none or not the one that signed (a key made after its last refresh). */
async function checkSignature(body, header, { refresh = false } = {}) {
  let keys = await trustedPublicKeys();
  let result = keys ? await verifyPackSignature(body, header, keys) : { ok: false, reason: 'unknown_key' };
  if (!result.ok && result.reason === 'unknown_key' && refresh) {
    await refreshTrust();
    keys = await trustedPublicKeys();
    result = await verifyPackSignature(body, header, keys);
  }
  return { ...result, header, noKeys: !keys };
}

function packRecord(distributionId, pack, body, signed, etag, from, now) {
  return {
    distributionId,
    pack,
    body,
    signature: signed.header,
    signedAt: signed.signedAt,
    etag,
    size: body.length, // the pack's own bytes, not the gzipped transfer
    downloadedAt: now,
    checkedAt: now,
    from,
  };
}

/** Store a pack, whoever handed it over, and say so to the screens (the distribution is no longer "cleared"). */
async function keep(record) {
  const { distributionId } = record;
  const db = await database();
  const tx = db.transaction(['packs', 'meta'], 'readwrite');
  const cleared = (await tx.objectStore('meta').get(CLEARED_KEY)) ?? {};
  delete cleared[distributionId]; // here again (a distribution moved later): no longer "cleared"
  await Promise.all([tx.objectStore('packs').put(record, distributionId), tx.objectStore('meta').put(cleared, CLEARED_KEY), tx.done]);
  nextWipeAt = 0;
  dataChanged('pack', distributionId);
}

/**
 * What this phone hands to another phone for a distribution: the pack's exact bytes and the server's signature, or
 * null when it holds no pack of it kept with its bytes (docs/packs.md, "Signature").
 * @param {number} distributionId
 * @returns {Promise<{bytes: Uint8Array, signature: string}|null>}
 */
export async function packForPeer(distributionId) {
  const record = await getPack(distributionId);
  return record?.body && record.signature ? { bytes: record.body, signature: record.signature } : null;
}

/**
 * Accept a pack handed over by another phone (offline: the QR channel), and keep it exactly as a downloaded one.
 * Accepted only if (a) the server's signature holds with a key of the trust data this phone already holds, (b) it
 * is for a distribution at a point this phone is enrolled for, (c) it was not signed before the pack this phone
 * already has for that distribution (the signature's time, the server's clock). The same pack again changes
 * nothing. Throws a PackRefused: `pack_no_trust` (this phone never downloaded the network's keys),
 * `pack_not_signed`, `pack_malformed`, `pack_format_unsupported`, `pack_other_point`, `pack_older`.
 *
 * @param {Uint8Array|ArrayBuffer} bytes the pack's bytes, as the other phone kept them
 * @param {string} signature the server's signature, as the other phone kept it
 * @returns {Promise<{changed: boolean, record: PackRecord}>}
 */
export async function acceptPeerPack(bytes, signature) {
  const body = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const [device, signed] = await Promise.all([getDevice(), checkSignature(body, signature)]);
  if (!device || device.revoked || signed.noKeys) throw new PackRefused('pack_no_trust');
  if (!signed.ok) throw new PackRefused('pack_not_signed');
  let pack;
  try {
    pack = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new PackRefused('pack_malformed'); // signed by the server yet unreadable: never seen, refused all the same
  }
  if (pack?.format_version !== PACK_FORMAT_VERSION) throw new PackRefused('pack_format_unsupported');
  const distributionId = pack.distribution?.id;
  if (!Number.isInteger(distributionId)) throw new PackRefused('pack_malformed');
  if (!(device.points ?? []).some((point) => point.id === pack.point?.id)) throw new PackRefused('pack_other_point');
  const etag = `"${await sha256Hex(body)}"`;
  const stored = await getPack(distributionId);
  if (stored && stored.etag?.replace(/-gzip"$/, '"') === etag) return { changed: false, record: stored };
  // A pack kept before packs were signed has no time: any signed one is newer.
  if (stored && signed.signedAt < (stored.signedAt ?? 0)) throw new PackRefused('pack_older');
  const record = packRecord(distributionId, pack, body, signed, etag, 'peer', new Date().toISOString());
  await keep(record);
  return { changed: true, record };
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * The stored pack of a distribution, or undefined.
 * @param {number} distributionId
 * @returns {Promise<PackRecord|undefined>}
 */
export async function getPack(distributionId) {
  return (await database()).get('packs', distributionId);
}

/**
 * Every stored pack, without the members (for the list of the day's distributions: which, when, age and size,
 * when it will be wiped and how many of its events wait to be sent).
 * @returns {Promise<Array<{distributionId: number, distribution: object, point: object, members: number,
 *   etag: string|null, size: number, downloadedAt: string, checkedAt: string, wipeAt: number, unsent: number,
 *   pulledAt: string|null}>>}
 */
export async function listPacks() {
  const db = await database();
  const records = await db.getAll('packs');
  return Promise.all(
    records.map(async ({ pack, body: _body, ...record }) => ({
      ...record,
      distribution: pack.distribution,
      point: pack.point,
      members: pack.members.length,
      wipeAt: wipeTime(pack.distribution),
      unsent: await unsentCount(db.transaction(['outbox', 'log']), record.distributionId),
      // The last time the other phones' events were pulled for it (null: never, e.g. no network right after the
      // download): the screens say so, the pack alone misses what other phones did.
      pulledAt: (await db.get('syncState', record.distributionId))?.lastSyncAt ?? null,
    })),
  );
}

/**
 * How many events of a distribution the server still lacks from this phone: its own in the outbox (refused ones
 * count: they are not sent either) and those of other phones it carries (store and forward, marked `forward` in the
 * log until the server has them).
 * @param {IDBPTransaction} tx a transaction over `outbox` and `log`
 * @param {number} distributionId
 * @returns {Promise<number>}
 */
async function unsentCount(tx, distributionId) {
  const own = await tx.objectStore('outbox').index('distribution').count(distributionId);
  const logged = await tx.objectStore('log').index('distribution').getAll(distributionId);
  return own + logged.filter((entry) => entry.forward).length;
}

/** Forget a distribution's pack (its events stay in the outbox and the log). */
export async function deletePack(distributionId) {
  indexes.delete(distributionId);
  await (await database()).delete('packs', distributionId);
  dataChanged('pack', distributionId);
}

// The wipe: a pack holds members' names, orders and balances, which a lost phone should not keep once they are of
// no use. They are of no use once the distribution is over and the server has everything this phone recorded for
// it; the grace leaves time for a late member, the closing count and the evening's sync.

/** How long after a distribution's end its pack stays on the phone, everything sent or not (6 hours). */
export const WIPE_GRACE_MS = 6 * 60 * 60 * 1000;
const CLEARED_KEY = 'clearedPacks';
const CLEARED_KEPT_MS = 30 * 24 * 60 * 60 * 1000; // "cleared" notes (point and times only) are forgotten after that

/** When a distribution's pack may be wiped (ms since the epoch): its end plus the grace. */
export function wipeTime(distribution) {
  return Date.parse(distribution.ends_at) + WIPE_GRACE_MS;
}

let nextWipeAt = 0; // no stored pack may be wiped before this (as of the last sweep in this page); 0: look again
let watching = false;

/**
 * Delete the pack of every distribution that ended more than WIPE_GRACE_MS ago (by this phone's clock) and has no
 * event left to send (`unsentCount`: its own, and other phones' it carries), with what was pulled for it (its `log`
 * entries, all on the server, and its pull cursor); each leaves a note (point and times, no one's name)
 * that the distributions list shows. The check and the deletion are one IndexedDB transaction: an event recorded
 * meanwhile (another tab, the service worker) either keeps the pack or is recorded after it, never lost.
 *
 * @param {{now?: number, keep?: number|null}} [options] `now`: the phone's clock (ms); `keep`: a distribution not
 *   to wipe now (a member screen is open on it)
 * @returns {Promise<ClearedPack[]>} what was wiped
 *
 * @typedef {{distributionId: number, point: object, starts_at: string, ends_at: string, clearedAt: string}}
 *   ClearedPack
 */
export async function wipeEndedPacks({ now = Date.now(), keep = null } = {}) {
  if (!watching) {
    watching = true;
    onDataChange((change) => {
      if (change.what === 'pack') nextWipeAt = 0; // another tab downloaded one: look again
    });
  }
  if (now < nextWipeAt) return [];
  const db = await database();
  const tx = db.transaction(['packs', 'outbox', 'log', 'syncState', 'meta'], 'readwrite');
  const packs = tx.objectStore('packs');
  const meta = tx.objectStore('meta');
  const notes = (await meta.get(CLEARED_KEY)) ?? {};
  const cleared = [];
  let next = Infinity;
  for (const { distributionId, pack } of await packs.getAll()) {
    const due = wipeTime(pack.distribution);
    const unsent = await unsentCount(tx, distributionId);
    if (due > now || unsent > 0 || distributionId === keep) {
      next = Math.min(next, due > now ? due : now); // kept past its time: look again at every sweep
      continue;
    }
    for (const key of await tx.objectStore('log').index('distribution').getAllKeys(distributionId)) {
      await tx.objectStore('log').delete(key);
    }
    await tx.objectStore('syncState').delete(distributionId);
    await packs.delete(distributionId);
    const { starts_at, ends_at } = pack.distribution;
    const note = { distributionId, point: pack.point, starts_at, ends_at, clearedAt: new Date(now).toISOString() };
    notes[distributionId] = note;
    cleared.push(note);
  }
  for (const [id, note] of Object.entries(notes)) {
    if (now - Date.parse(note.clearedAt) > CLEARED_KEPT_MS) delete notes[id];
  }
  if (cleared.length) await meta.put(notes, CLEARED_KEY);
  await tx.done;
  nextWipeAt = next === Infinity ? now + WIPE_GRACE_MS : next;
  for (const { distributionId } of cleared) {
    indexes.delete(distributionId);
    dataChanged('pack', distributionId);
  }
  return cleared;
}

/**
 * The packs wiped from this phone in the last 30 days (for the distributions list).
 * @returns {Promise<ClearedPack[]>}
 */
export async function listClearedPacks() {
  return Object.values((await (await database()).get('meta', CLEARED_KEY)) ?? {});
}

// Manual codes (sync/manual_codes.py): Crockford base32, eight characters and a Luhn mod 32 check character.

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const READS_AS = { O: '0', I: '1', L: '1', '-': '', ' ': '' };

function luhnValid(code) {
  const n = ALPHABET.length;
  let sum = 0;
  Array.from(code)
    .reverse()
    .forEach((character, position) => {
      const value = ALPHABET.indexOf(character);
      if (position % 2 === 0) sum += value;
      else sum += Math.floor((value * 2) / n) + ((value * 2) % n);
    });
  return sum % n === 0;
}

/**
 * A typed manual code in canonical form (`k7qm-4zrt-9` → `K7QM4ZRT9`), or null when it cannot be one (wrong
 * length, a character outside the alphabet, a failed check character): the rule of sync.manual_codes.normalise.
 * @param {string} typed
 * @returns {string|null}
 */
export function normaliseManualCode(typed) {
  const code = Array.from(String(typed).toUpperCase(), (c) => READS_AS[c] ?? c).join('');
  if (code.length !== 9 || !Array.from(code).every((c) => ALPHABET.includes(c))) return null;
  return luhnValid(code) ? code : null;
}

/** Grouped for reading aloud: `K7QM-4ZRT-9` (sync.manual_codes.display). */
export function displayManualCode(code) {
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

// Names: a member is found by any part of their first or last name, whatever the accents and the case, and shown
// by full name, listed by last name as on the paper sign-off sheet (docs/packs.md, "Names").

const FOLDED = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', ł: 'l', đ: 'd', ı: 'i' };
const WORD_BREAK = /[^\p{L}\p{N}]+/u;

/**
 * Lower case without accents (`Élodie` → `elodie`, `Œ` → `oe`): what name search compares.
 * @param {string} text
 * @returns {string}
 */
export function foldName(text) {
  return String(text)
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[œæßøłđı]/g, (c) => FOLDED[c]);
}

function words(text) {
  return foldName(text).split(WORD_BREAK).filter(Boolean);
}

/**
 * The words a name is found by: each part, and a compound name also run together (`N'Diaye` → `n`, `diaye`,
 * `ndiaye`; `Le Gall` → `le`, `gall`, `legall`), as a volunteer may type it either way.
 */
function nameWords(name) {
  const parts = words(name);
  return parts.length > 1 ? [...parts, parts.join('')] : parts;
}

/**
 * A member's first and last names. A pack of format 1 (downloaded before this version) has only `display_name`:
 * it stands as the first name.
 * @param {object} member a pack member
 * @returns {{first: string, last: string}}
 */
export function memberNames(member) {
  if (typeof member.last_name === 'string') return { first: member.first_name ?? '', last: member.last_name };
  return { first: member.display_name, last: '' };
}

/** `Awa Diallo`: how the search and the lists name a member. */
export function fullName(member) {
  const { first, last } = memberNames(member);
  return [first, last].filter(Boolean).join(' ');
}

const collator = new Intl.Collator('fr', { sensitivity: 'base' });

/** The lists' order: by last name, then first name (accents and case aside), then member id. */
export function byName(a, b) {
  const x = memberNames(a);
  const y = memberNames(b);
  return collator.compare(x.last, y.last) || collator.compare(x.first, y.first) || a.id - b.id;
}

/** `1 × Panier de légumes M, 2 × Œufs plein air ×6`: what a member ordered, as the member screen writes it. */
export function basketText(member) {
  return (member.order?.lines ?? []).map((line) => `${line.quantity} × ${line.product_name}`).join(', ');
}

/**
 * How to tell namesakes apart (same full name, accents and case aside), with what the member can confirm: their
 * basket when it differs from the others', their member number when it does not. Never an amount or a tier.
 * @param {object[]} members
 * @returns {Map<number, {basket: boolean, number: boolean}>} member id → what to show; members without a
 *   namesake are not in it
 */
function namesakeTells(members) {
  const groups = new Map();
  for (const member of members) {
    const key = words(fullName(member)).join(' ');
    groups.set(key, [...(groups.get(key) ?? []), member]);
  }
  const tells = new Map();
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const baskets = group.map(basketText);
    const differ = new Set(baskets).size > 1;
    group.forEach((member, i) => {
      const shared = baskets.filter((basket) => basket === baskets[i]).length > 1;
      tells.set(member.id, { basket: differ, number: shared });
    });
  }
  return tells;
}

// The in-memory index of a pack, built once per pack version (ETag) and kept while the page lives.

const indexes = new Map();

/**
 * What a scan needs from a pack, fast: built once per pack version (maps and folded names), then every lookup is
 * a map read or a scan of folded strings (well under a millisecond for 1,000 members).
 *
 * @param {number} distributionId
 * @returns {Promise<PackIndex|null>} null when no pack is stored
 *
 * @typedef {object} PackIndex
 * @property {object} pack the pack (docs/packs.md)
 * @property {string|null} etag
 * @property {(memberId: number) => object|undefined} member a member by id (the id inside the ticket)
 * @property {(orderId: number) => object|undefined} memberByOrder the member whose order this is
 * @property {(typed: string) => object|undefined} memberByCode by manual code, as typed (normalised first)
 * @property {(query: string, limit?: number) => {members: object[], total: number}} find members whose names
 *   hold each typed word at the start of one of their words (any order, accents and case aside); those with a word
 *   typed whole first, then by last name; at most `limit` (20) of `total`
 * @property {(query: string, limit?: number) => object[]} search `find`'s members only
 * @property {(member: object) => {basket: boolean, number: boolean}|undefined} tell how to tell a namesake apart
 * @property {{public_keys: object, min_serials: object}} trust the pack's ticket keys and revocation list
 * @property {(text: string) => Promise<TicketCheck>} checkTicket verify a scanned or typed ticket offline against
 *   the pack's keys, its revocations and the phone's (trust.js), and find its member
 *
 * @typedef {{ok: true, ticket: object, member: object} |
 *   {ok: false, reason: string, memberId?: number}} TicketCheck  `reason`: a ticket refusal reason
 *   (docs/tickets.md), or `unknown_member` (a genuine ticket of a member not in this pack); `memberId` when the
 *   ticket could be read (`revoked`, `unknown_member`), for the scan_refused event
 */
export async function packIndex(distributionId) {
  const record = await getPack(distributionId);
  if (!record) {
    indexes.delete(distributionId);
    return null;
  }
  const cached = indexes.get(distributionId);
  if (cached && cached.etag === record.etag && record.etag !== null) return cached;
  const index = buildIndex(record.pack, record.etag);
  indexes.set(distributionId, index);
  return index;
}

/**
 * The index of a pack object (no storage): what packIndex keeps per distribution.
 * @param {object} pack
 * @param {string|null} [etag]
 * @returns {PackIndex}
 */
export function buildIndex(pack, etag = null) {
  const byId = new Map();
  const byOrder = new Map();
  const byCode = new Map();
  const names = [];
  for (const member of pack.members) {
    byId.set(member.id, member);
    if (member.order) byOrder.set(member.order.id, member);
    if (member.manual_code) byCode.set(member.manual_code, member);
    const { first, last } = memberNames(member);
    names.push({ member, words: [...nameWords(first), ...nameWords(last)] });
  }
  names.sort((a, b) => byName(a.member, b.member));
  const tells = namesakeTells(pack.members);
  let keys = null;

  function find(query, limit = 20) {
    const wanted = words(query);
    if (!wanted.length) return { members: [], total: 0 };
    const found = [];
    for (const entry of names) {
      if (!wanted.every((word) => entry.words.some((name) => name.startsWith(word)))) continue;
      const whole = wanted.filter((word) => entry.words.includes(word)).length;
      found.push({ member: entry.member, whole });
    }
    found.sort((a, b) => b.whole - a.whole); // stable: by name within each
    return { members: found.slice(0, limit).map((entry) => entry.member), total: found.length };
  }

  return {
    pack,
    etag,
    trust: pack.tickets,
    member: (memberId) => byId.get(memberId),
    memberByOrder: (orderId) => byOrder.get(orderId),
    memberByCode(typed) {
      const code = normaliseManualCode(typed);
      return code ? byCode.get(code) : undefined;
    },
    find,
    search: (query, limit = 20) => find(query, limit).members,
    tell: (member) => tells.get(member.id),
    async checkTicket(text) {
      keys ??= importPublicKeys(pack.tickets.public_keys);
      // Checked without the revocation list first, so a revoked ticket's member id is known for the refusal event.
      const result = await verifyTicket(text, await keys, {});
      if (!result.ok) return result;
      const { memberId, serial } = result.ticket;
      // The pack lists the revocations of its point and expected members; the phone's own list (trust.js, the
      // whole network, refreshed whenever online) covers a card from elsewhere, and any revocation since the pack.
      const minimum = Math.max(pack.tickets.min_serials[String(memberId)] ?? 0, await trustedMinSerial(memberId));
      if (serial < minimum) return { ok: false, reason: 'revoked', memberId };
      const member = byId.get(memberId);
      if (!member) return { ok: false, reason: 'unknown_member', memberId };
      return { ok: true, ticket: result.ticket, member };
    },
  };
}
