// Distribution packs on the phone: downloaded before leaving (with If-None-Match, so an unchanged pack costs a
// 304), kept in IndexedDB (`packs`), and indexed in memory for what a scan needs at the point: a member by id, by
// manual code, by name, and the ticket keys to check a QR code offline. The format is docs/packs.md.
import { NetworkError, refusal, send } from './api.js';
import { database, dataChanged, getCurrentShift } from './store.js';
import { importPublicKeys, verifyTicket } from './tickets.js';

/** The pack format this app reads (docs/packs.md, "Format"). */
export const PACK_FORMAT_VERSION = 1;

/**
 * Download the pack of a distribution and keep it. Sends the stored pack's ETag as `If-None-Match`: on `304` the
 * stored pack stays as it is (only `checkedAt` changes). Needs the network and a volunteer's shift (the pack holds
 * members' first names and what they owe).
 *
 * Throws a NetworkError (no answer), an ApiError with the server's reason (`forbidden_point`, `shift_expired`…),
 * or an Error with `reason` `pack_format_unsupported` for a pack of a format this app does not know (the stored one
 * is kept).
 *
 * @param {number} distributionId
 * @param {{token: string}} [shift] the volunteer's shift (default: the current shift)
 * @returns {Promise<{changed: boolean, record: PackRecord}>} `changed` is false on 304
 *
 * @typedef {{distributionId: number, pack: object, etag: string|null, size: number, downloadedAt: string,
 *   checkedAt: string}} PackRecord  `size`: bytes of the pack's JSON (UTF-8); times: ISO strings
 */
export async function downloadPack(distributionId, shift) {
  const volunteer = shift ?? (await getCurrentShift());
  const stored = await getPack(distributionId);
  const headers = stored?.etag ? { 'If-None-Match': stored.etag } : {};
  const path = `/api/distributions/${distributionId}/pack`;
  const answer = await send('GET', path, { shift: volunteer, headers, timeoutMs: 120000 });
  const now = new Date().toISOString();
  if (answer.status === 304 && stored) {
    const record = { ...stored, checkedAt: now };
    await (await database()).put('packs', record, distributionId);
    return { changed: false, record };
  }
  if (!answer.ok) throw refusal(answer);
  const pack = answer.data;
  if (!pack || typeof pack !== 'object') throw new NetworkError('the pack did not arrive whole');
  if (pack.format_version !== PACK_FORMAT_VERSION) {
    const unsupported = new Error('pack_format_unsupported'); // the app needs an update; the stored pack stays
    unsupported.reason = 'pack_format_unsupported';
    throw unsupported;
  }
  const record = {
    distributionId,
    pack,
    etag: answer.headers.get('ETag'),
    // The pack's own bytes (the same length as the server's canonical JSON), not the gzipped transfer.
    size: new TextEncoder().encode(JSON.stringify(pack)).length,
    downloadedAt: now,
    checkedAt: now,
  };
  await (await database()).put('packs', record, distributionId);
  dataChanged('pack', distributionId);
  return { changed: true, record };
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
 * Every stored pack, without the members (for the list of the day's distributions: which, when, age and size).
 * @returns {Promise<Array<{distributionId: number, distribution: object, point: object, members: number,
 *   etag: string|null, size: number, downloadedAt: string, checkedAt: string}>>}
 */
export async function listPacks() {
  const records = await (await database()).getAll('packs');
  return records.map(({ pack, ...record }) => ({
    ...record,
    distribution: pack.distribution,
    point: pack.point,
    members: pack.members.length,
  }));
}

/** Forget a distribution's pack (its events stay in the outbox and the log). */
export async function deletePack(distributionId) {
  indexes.delete(distributionId);
  await (await database()).delete('packs', distributionId);
  dataChanged('pack', distributionId);
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

// Names: found by the start of the first name or of the initial, whatever the accents and the case.

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

/** Whether each query word starts a name word, in order (`jean l` finds `Jean-Luc M.` and `Jean L.`). */
function matches(queryWords, nameWords) {
  let at = 0;
  for (const word of queryWords) {
    while (at < nameWords.length && !nameWords[at].startsWith(word)) at += 1;
    if (at === nameWords.length) return false;
    at += 1;
  }
  return true;
}

// The in-memory index of a pack, built once per pack version (ETag) and kept while the page lives.

const indexes = new Map();
const collator = new Intl.Collator('fr', { sensitivity: 'base' });

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
 * @property {(query: string, limit?: number) => object[]} search by the start of the first name and/or initial,
 *   accent- and case-insensitive; first-name matches first, then by name; at most `limit` (20)
 * @property {{public_keys: object, min_serials: object}} trust the pack's ticket keys and revocation list
 * @property {(text: string) => Promise<TicketCheck>} checkTicket verify a scanned or typed ticket offline against
 *   the pack's keys and revocation list, and find its member
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
    names.push({ member, words: words(member.display_name) });
  }
  names.sort((a, b) => collator.compare(a.member.display_name, b.member.display_name) || a.member.id - b.member.id);
  let keys = null;

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
    search(query, limit = 20) {
      const wanted = words(query);
      if (!wanted.length) return [];
      const first = [];
      const others = [];
      for (const entry of names) {
        if (!matches(wanted, entry.words)) continue;
        (entry.words[0].startsWith(wanted[0]) ? first : others).push(entry.member);
        if (first.length >= limit) break;
      }
      return [...first, ...others].slice(0, limit);
    },
    async checkTicket(text) {
      keys ??= importPublicKeys(pack.tickets.public_keys);
      // Checked without the revocation list first, so a revoked ticket's member id is known for the refusal event.
      const result = await verifyTicket(text, await keys, {});
      if (!result.ok) return result;
      const { memberId, serial } = result.ticket;
      if (serial < (pack.tickets.min_serials[String(memberId)] ?? 0)) return { ok: false, reason: 'revoked', memberId };
      const member = byId.get(memberId);
      if (!member) return { ok: false, reason: 'unknown_member', memberId };
      return { ok: true, ticket: result.ticket, member };
    },
  };
}
