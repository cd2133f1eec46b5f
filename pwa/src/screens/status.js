// What is always in sight: the sync bar (pending events, last successful sync, errors in plain words,
// "Synchroniser maintenant"), the update banner ("Nouvelle version — recharger", never while a scan is in
// progress), and the network line.
import { t, tn } from '../i18n.js';
import { onDataChange } from '../store.js';
import { status as syncStatus, syncNow } from '../sync.js';
import { applyUpdate, registerServiceWorker, watchForUpdate } from '../update.js';
import { $, busy, onScreen, say, warn } from '../ui/dom.js';
import { formatClock, isToday } from '../ui/format.js';
import { scanInProgress, state } from '../ui/state.js';

/** A sync failure's reason (sync.js `lastError`) in plain words. */
export function syncErrorText(reason) {
  const key = `sync.error_${reason}`;
  const text = t(key);
  return text === key ? t('sync.error_other', { reason }) : text;
}

function when(iso) {
  if (isToday(iso)) return formatClock(iso);
  return new Date(iso).toLocaleString(document.documentElement.lang, { dateStyle: 'short', timeStyle: 'short' });
}

/** Draw the sync bar from the data layer's status. */
export async function renderSyncBar() {
  const current = await syncStatus();
  const parts = [];
  if (current.running) parts.push(t('sync.running'));
  parts.push(current.pending ? tn('sync.pending', current.pending) : t('sync.all_sent'));
  if (current.refused) parts.push(tn('sync.refused', current.refused));
  parts.push(current.lastSyncAt ? t('sync.last', { time: when(current.lastSyncAt) }) : t('sync.never'));
  const text = $('sync-text');
  text.textContent = `${parts.join(' · ')}.`;
  const error = $('sync-error');
  error.textContent = current.lastError ? syncErrorText(current.lastError) : '';
  error.hidden = !current.lastError;
  $('sync-bar').classList.toggle('pending', current.pending > 0 || current.refused > 0);
  return current;
}

async function syncByHand(event) {
  const result = await busy(event.currentTarget, () => syncNow());
  await renderSyncBar();
  if (result.ok) say(t('sync.done', { sent: result.accepted + result.duplicates, received: result.pulled }));
  else warn(t('sync.failed', { error: syncErrorText(result.error) }));
}

// Updates.

let updateReady = false;

/** Show the update banner when a new version waits and no scan is in progress. */
export function renderUpdateBanner() {
  $('update-banner').hidden = !(updateReady && !scanInProgress());
}

async function update() {
  if (scanInProgress()) {
    warn(t('update.wait'));
    renderUpdateBanner();
    return;
  }
  state.scanner?.stop();
  state.scanner = null;
  if (!(await applyUpdate())) {
    updateReady = false;
    renderUpdateBanner();
  }
}

function showNetwork() {
  $('network').textContent = navigator.onLine ? '' : t('app.offline');
}

/** Wire the bars (once, at start): the worker, the update watch, the sync button, redraws on data changes. */
export function setUpStatus() {
  showNetwork();
  window.addEventListener('online', showNetwork);
  window.addEventListener('offline', showNetwork);
  registerServiceWorker();
  watchForUpdate(() => {
    updateReady = true;
    renderUpdateBanner();
  });
  $('update-apply').addEventListener('click', update);
  $('sync-now').addEventListener('click', syncByHand);
  onScreen(() => renderUpdateBanner());
  onDataChange(() => renderSyncBar());
  setInterval(() => {
    if (document.visibilityState === 'visible') renderSyncBar();
    renderUpdateBanner();
  }, 5000);
  renderSyncBar();
}

/** Redraw what changes with the language. */
export function translateStatus() {
  showNetwork();
  renderSyncBar();
}
