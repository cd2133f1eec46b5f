// How the app writes amounts, times, sizes and ages, in the chosen language; and how it reads typed amounts.
// Money is integer cents everywhere; a float appears only inside Intl, for display.
import { lang } from '../i18n.js';

const money = new Map();

/** `1428` → `14,28 €` (French) or `€14.28` (English). */
export function formatCents(cents, currency = 'EUR') {
  const key = `${lang}:${currency}`;
  if (!money.has(key)) money.set(key, new Intl.NumberFormat(lang, { style: 'currency', currency }));
  return money.get(key).format(cents / 100);
}

/** A weight in grams: `480` → `480 g`, `1250` → `1,25 kg` (French) or `1.25 kg` (English). */
export function formatGrams(grams) {
  if (grams < 1000) return `${new Intl.NumberFormat(lang).format(grams)} g`;
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: 3 }).format(grams / 1000)} kg`;
}

/** A coin or note: `5000` → `50 €`, `50` → `0,50 €`. */
export function formatDenomination(cents, currency = 'EUR') {
  const digits = cents % 100 === 0 ? 0 : 2;
  return new Intl.NumberFormat(lang, {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(cents / 100);
}

/** A typed amount as it would be shown back in an input: `1428` → `14,28` (French) or `14.28`. */
export function centsForInput(cents) {
  const text = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
  return lang === 'fr' ? text.replace('.', ',') : text;
}

/**
 * A typed amount in cents: `14,28`, `14.28`, `14`, `14,5`, `14,28 €`, spaces allowed. Empty → 0. Anything else
 * (letters, three decimals, a negative sign, more than a million) → null.
 * @param {string} text
 * @returns {number|null}
 */
export function parseCents(text) {
  const clean = String(text ?? '')
    .replace(/[\s\u00a0\u202f€]/g, '')
    .trim();
  if (!clean) return 0;
  const match = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(clean);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/** Times on the 24-hour clock in both languages (`17:42`, never `5:42 PM`): what a French co-op reads everywhere. */
const CLOCK = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

/** `17:42` */
export function formatClock(iso) {
  return new Intl.DateTimeFormat(lang, CLOCK).format(new Date(iso));
}

/** `ven. 17:42` */
export function formatDayClock(iso) {
  return new Intl.DateTimeFormat(lang, { weekday: 'short', ...CLOCK }).format(new Date(iso));
}

/** `04/12/2026 17:42` / `04/12/2026, 17:42` */
export function formatDateTime(iso) {
  return new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'short', hourCycle: 'h23' }).format(
    new Date(iso),
  );
}

/** `mar. 10 mars, 17:30–19:00` */
export function formatSlot(startsAt, endsAt) {
  const day = new Intl.DateTimeFormat(lang, { weekday: 'short', day: 'numeric', month: 'short' }).format(
    new Date(startsAt),
  );
  return `${day}, ${formatClock(startsAt)}–${formatClock(endsAt)}`;
}

/** Whether an ISO time falls today on this phone's clock. */
export function isToday(iso) {
  const day = new Date(iso);
  const now = new Date();
  return (
    day.getFullYear() === now.getFullYear() && day.getMonth() === now.getMonth() && day.getDate() === now.getDate()
  );
}

/** `il y a 5 minutes` / `5 minutes ago` (`à l’instant` under a minute). */
export function formatAge(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const format = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  if (seconds < 60) return format.format(0, 'second');
  if (seconds < 3600) return format.format(-Math.floor(seconds / 60), 'minute');
  if (seconds < 86400) return format.format(-Math.floor(seconds / 3600), 'hour');
  return format.format(-Math.floor(seconds / 86400), 'day');
}

