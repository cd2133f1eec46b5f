// The distributions of the day (and the coming ones), on the home screen: which the volunteer may run on this
// phone (from `/api/me`, kept for offline; marked when a coordinator assigned them to it), the packs already
// downloaded with their age and size, and the buttons to download, refresh, open and remove them. Opening one makes
// it the distribution the other screens work on.
import { ApiError, NetworkError, call } from '../api.js';
import { reasonText, t, tn } from '../i18n.js';
import { deletePack, downloadPack, listPacks } from '../packs.js';
import * as store from '../store.js';
import { $, ask, busy, h, quiet, say, warn } from '../ui/dom.js';
import { formatAge, formatSize, formatSlot, isToday } from '../ui/format.js';
import { go } from '../ui/nav.js';
import { refreshIndex, setActive, state } from '../ui/state.js';

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
  if (error?.reason === 'pack_format_unsupported') return t('reason.pack_format_unsupported');
  return t('app.error', { message: error.message });
}

async function download(entry, button) {
  const title = entry.point.name;
  try {
    const { changed, record } = await busy(button, () => downloadPack(entry.id));
    if (entry.id === state.distributionId) await refreshIndex();
    say(
      changed
        ? t('dist.downloaded', { point: title, size: formatSize(record.size) })
        : t('dist.unchanged', { point: title }),
    );
  } catch (error) {
    warn(describe(error));
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
  if (entry.known && signedIn) {
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
  const packLine = entry.pack
    ? t('dist.pack', {
        age: formatAge(entry.pack.downloadedAt),
        size: formatSize(entry.pack.size),
        members: tn('dist.members', entry.pack.members),
      })
    : t('dist.no_pack');
  return h(
    'li',
    { class: `distribution${active ? ' active' : ''}`, 'aria-label': label },
    h('h3', {}, name),
    h('p', {}, slot, entry.status && entry.status !== 'planned' ? ` · ${t(`dist.status_${entry.status}`)}` : ''),
    entry.assigned ? h('p', { class: 'badge assigned' }, t('dist.assigned')) : null,
    active ? h('p', { class: 'badge' }, t('dist.active')) : null,
    h('p', { class: 'muted' }, packLine),
    entry.pack && entry.pack.checkedAt !== entry.pack.downloadedAt
      ? h('p', { class: 'muted' }, t('dist.checked', { age: formatAge(entry.pack.checkedAt) }))
      : null,
    !signedIn && !entry.pack ? h('p', { class: 'muted' }, t('dist.sign_in_first')) : null,
    h('div', { class: 'actions' }, buttons),
  );
}

/** Draw the list into the home screen's `#distributions`. */
export async function renderDistributions() {
  const container = $('distributions');
  const shift = await store.getCurrentShift();
  const signedIn = usable(shift);
  const known = (await store.getMeta(KNOWN_KEY))?.distributions ?? [];
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
    entries.set(pack.distributionId, { ...entry, pack });
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
