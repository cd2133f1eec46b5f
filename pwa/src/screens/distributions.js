// The distributions of the day (and the coming ones), on the home screen: which the volunteer may run on this
// phone (from `/api/me`, kept for offline; marked when a coordinator assigned them to it), the packs already
// downloaded with their age and size, and the buttons to download, refresh, open and remove them. Opening one makes
// it the distribution the other screens work on. Once a distribution is over, the list says when its pack will be
// wiped from the phone, or that it was (packs.js, `wipeEndedPacks`).
import { ApiError, NetworkError, call } from '../api.js';
import { lang, reasonText, t, tn } from '../i18n.js';
import { deletePack, downloadPack, listClearedPacks, listPacks, wipeEndedPacks, wipeTime } from '../packs.js';
import * as store from '../store.js';
import { pullDistribution } from '../sync.js';
import { $, ask, busy, h, quiet, say, warn } from '../ui/dom.js';
import { formatAge, formatClock, formatSlot, isToday } from '../ui/format.js';
import { go } from '../ui/nav.js';
import { refreshIndex, scanInProgress, setActive, state } from '../ui/state.js';

const KNOWN_KEY = 'knownDistributions';

function usable(shift) {
  return shift && !shift.locked && !shift.ended && Date.parse(shift.validUntil) > Date.now();
}

/** Ask the server which distributions this volunteer may run here (online, signed in); kept for offline. */
export async function fetchDistributions() {
  const shift = await store.getCurrentShift();
  if (!usable(shift) || !navigator.onLine) return false;
  try {
    const answer = await call('GET', '/api/me', { shift });
    await store.setMeta(KNOWN_KEY, { distributions: answer.distributions, at: new Date().toISOString() });
    return true;
  } catch (error) {
    if (!(error instanceof NetworkError) && !(error instanceof ApiError)) console.error(error);
    return false;
  }
}

function describe(error) {
  if (error instanceof NetworkError) return t('app.network_needed');
  if (error instanceof ApiError) return reasonText(error.reason, error.message);
  if (error?.reason?.startsWith?.('pack_')) return reasonText(error.reason); // a refused pack (packs.js)
  return t('app.error', { message: error.message });
}

async function download(entry, button) {
  const title = entry.point.name;
  let changed;
  try {
    // The list's times come from /api/me: asked again with the pack, so a coordinator's new times show everywhere.
    say(t('dist.downloading', { point: title }));
    [{ changed }] = await busy(button, () => Promise.all([downloadPack(entry.id), fetchDistributions()]));
  } catch (error) {
    warn(describe(error));
    await renderDistributions();
    return;
  }
  // Then what the other phones already recorded (hand-overs, payments from the accounts): the pack holds the day's
  // orders and the balances before the distribution, not that. Awaited: only then is the distribution ready offline.
  try {
    say(t('dist.pulling', { point: title }));
    await busy(button, () => pullDistribution(entry.id));
    if (entry.id === state.distributionId) await refreshIndex();
    say(changed ? t('dist.downloaded', { point: title }) : t('dist.unchanged', { point: title }));
  } catch (error) {
    if (!(error instanceof NetworkError) && !(error instanceof ApiError) && !error?.reason) console.error(error);
    if (entry.id === state.distributionId) await refreshIndex();
    warn(t('dist.pull_failed', { point: title }));
  }
  await renderDistributions();
}

async function remove(entry, button) {
  const yes = await ask({
    title: t('dist.remove_question', { point: entry.point.name }),
    text: t('dist.remove_text'),
    yes: t('dist.remove_yes'),
  });
  if (!yes) return;
  await busy(button, () => deletePack(entry.id));
  if (entry.id === state.distributionId) await setActive(null);
  say(t('dist.removed', { point: entry.point.name }));
  await renderDistributions();
}

async function open(entry) {
  quiet();
  await setActive(entry.id);
  await go('scan');
}

/** Whether the other phones' events were pulled since the pack was last taken or checked. */
function pulled(pack) {
  return pack.pulledAt !== null && Date.parse(pack.pulledAt) >= Date.parse(pack.checkedAt);
}

/** `à 00:30` today, else `le jeu. 11 déc. à 00:30`. */
function when(ms) {
  const time = formatClock(new Date(ms).toISOString());
  if (isToday(new Date(ms).toISOString())) return t('dist.when_today', { time });
  const day = new Intl.DateTimeFormat(lang, { weekday: 'short', day: 'numeric', month: 'short' }).format(ms);
  return t('dist.when_day', { day, time });
}

/** What the list says of the pack's wipe: when it will be, why it waits, or that it was done. */
function wipeLine(entry) {
  if (entry.cleared && !entry.pack) return t('dist.cleared', { when: when(Date.parse(entry.cleared.clearedAt)) });
  if (!entry.pack || Date.parse(entry.ends_at) > Date.now()) return null;
  return entry.pack.unsent ? t('dist.clear_waiting') : t('dist.clear_at', { when: when(entry.pack.wipeAt) });
}

/**
 * Sweep the packs whose distribution is over and sent (not the one a member screen is open on), as the list is
 * drawn: what it shows is what the phone holds.
 */
export function wipeEnded() {
  return wipeEndedPacks({ keep: scanInProgress() ? state.distributionId : null });
}

/** " · ouverte", " · close" as the coordinators set it; " · terminée" once its end time has passed. */
function statusText(entry) {
  if (Date.parse(entry.ends_at) <= Date.now()) return ` · ${t('dist.status_ended')}`;
  return entry.status && entry.status !== 'planned' ? ` · ${t(`dist.status_${entry.status}`)}` : '';
}

function item(entry, { signedIn, today }) {
  const name = `${entry.point.name}${entry.point.town ? ` (${entry.point.town})` : ''}`;
  const slot = formatSlot(entry.starts_at, entry.ends_at);
  const label = `${entry.point.name}, ${slot}`;
  const active = entry.id === state.distributionId;
  const buttons = [];
  if (entry.pack) {
    const openButton = h(
      'button',
      { type: 'button', class: today ? '' : 'secondary', 'aria-label': t('dist.open_label', { label }) },
      t('dist.open'),
    );
    openButton.addEventListener('click', () => open(entry));
    buttons.push(openButton);
  }
  const wiped = Date.now() >= wipeTime(entry); // over: a download would be wiped at once
  if (entry.known && signedIn && !(wiped && !entry.pack)) {
    const kind = entry.pack ? 'refresh' : 'download';
    const downloadButton = h(
      'button',
      {
        type: 'button',
        class: entry.pack ? 'secondary outline' : '',
        'aria-label': t(`dist.${kind}_label`, { label }),
      },
      t(`dist.${kind}`),
    );
    downloadButton.addEventListener('click', () => download(entry, downloadButton));
    buttons.push(downloadButton);
  }
  if (entry.pack && !today) {
    const removeButton = h(
      'button',
      { type: 'button', class: 'secondary outline', 'aria-label': t('dist.remove_label', { label }) },
      t('dist.remove'),
    );
    removeButton.addEventListener('click', () => remove(entry, removeButton));
    buttons.push(removeButton);
  }
  let packLine = t('dist.no_pack');
  if (entry.pack) {
    packLine = t('dist.pack', {
      age: formatAge(entry.pack.downloadedAt),
      members: tn('dist.members', entry.pack.members),
    });
  } else if (entry.cleared || wiped) {
    packLine = null;
  }
  return h(
    'li',
    { class: `distribution${active ? ' active' : ''}`, 'aria-label': label },
    h('h3', {}, name),
    h('p', {}, slot, statusText(entry)),
    entry.assigned ? h('p', { class: 'badge assigned' }, t('dist.assigned')) : null,
    active ? h('p', { class: 'badge' }, t('dist.active')) : null,
    packLine ? h('p', { class: 'muted' }, packLine) : null,
    wipeLine(entry) ? h('p', { class: 'muted' }, wipeLine(entry)) : null,
    entry.pack && !pulled(entry.pack) ? h('p', { class: 'warning not-pulled' }, t('dist.not_pulled')) : null,
    entry.pack && entry.pack.checkedAt !== entry.pack.downloadedAt
      ? h('p', { class: 'muted' }, t('dist.checked', { age: formatAge(entry.pack.checkedAt) }))
      : null,
    !signedIn && !entry.pack && !wiped ? h('p', { class: 'muted' }, t('dist.sign_in_first')) : null,
    buttons.length ? h('div', { class: 'actions' }, buttons) : null,
  );
}

/** Draw the list into the home screen's `#distributions`. */
export async function renderDistributions() {
  const container = $('distributions');
  await wipeEnded();
  const shift = await store.getCurrentShift();
  const signedIn = usable(shift);
  const knownMeta = await store.getMeta(KNOWN_KEY);
  const known = knownMeta?.distributions ?? [];
  const entries = new Map();
  for (const distribution of known) {
    entries.set(distribution.id, { ...distribution, known: true, pack: null });
  }
  for (const pack of await listPacks()) {
    const entry = entries.get(pack.distributionId) ?? {
      id: pack.distributionId,
      point: pack.point,
      starts_at: pack.distribution.starts_at,
      ends_at: pack.distribution.ends_at,
      status: pack.distribution.status,
      known: false,
    };
    // The pack checked after the list was fetched: its times are the newer ones (the Scanner header shows them too).
    const newer = !knownMeta?.at || Date.parse(pack.checkedAt) > Date.parse(knownMeta.at);
    const times = newer
      ? { starts_at: pack.distribution.starts_at, ends_at: pack.distribution.ends_at, status: pack.distribution.status }
      : {};
    entries.set(pack.distributionId, { ...entry, ...times, pack });
  }
  for (const cleared of await listClearedPacks()) {
    const entry = entries.get(cleared.distributionId) ?? {
      id: cleared.distributionId,
      point: cleared.point,
      starts_at: cleared.starts_at,
      ends_at: cleared.ends_at,
      known: false,
      pack: null,
    };
    entries.set(cleared.distributionId, { ...entry, cleared });
  }
  const sorted = [...entries.values()].sort(
    (a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at) || a.id - b.id,
  );
  const today = sorted.filter((entry) => isToday(entry.starts_at) || isToday(entry.ends_at));
  const others = sorted.filter((entry) => !today.includes(entry));
  const parts = [];
  parts.push(
    today.length
      ? h(
          'ul',
          { class: 'distributions', 'aria-label': t('dist.today') },
          today.map((entry) => item(entry, { signedIn, today: true })),
        )
      : h('p', { class: 'muted' }, signedIn ? t('dist.none_today') : t('dist.sign_in_first')),
  );
  if (others.length) {
    parts.push(
      h('h3', {}, t('dist.others')),
      h(
        'ul',
        { class: 'distributions', 'aria-label': t('dist.others') },
        others.map((entry) => item(entry, { signedIn, today: false })),
      ),
    );
  }
  container.replaceChildren(...parts);
}
