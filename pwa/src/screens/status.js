// What is always in sight: the sync bar, one line ("Hors connexion · 3 à envoyer" and "Envoyer"), whose details
// (last send, what went wrong, in plain words) are on the home screen; the update banner ("Nouvelle version —
// recharger", never while a scan is in progress).
import { t, tn } from '../i18n.js';
import { onDataChange } from '../store.js';
import { status as syncStatus, syncNow } from '../sync.js';
import { applyUpdate, registerServiceWorker, watchForUpdate } from '../update.js';
import { $, busy, onScreen, quiet, say, warn } from '../ui/dom.js';
import { formatClock, formatDateTime, isToday } from '../ui/format.js';
import { scanInProgress, state } from '../ui/state.js';

/** A sync failure's reason (sync.js `lastError`) in plain words, in the language on show. */
export function syncErrorText(reason) {
  const key = `sync.error_${reason}`;
  const text = t(key);
  return text === key ? t('sync.error_other') : text;
}

function when(iso) {
  return isToday(iso) ? formatClock(iso) : formatDateTime(iso);
}

/** Set a text only when it changed: the bar is a live region, redrawn every few seconds. */
function put(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** Draw the sync bar (one line) and the home screen's details from the data layer's status. */
export async function renderSyncBar() {
  const current = await syncStatus();
  const offline = !navigator.onLine;
  const parts = [];
  if (current.running) parts.push(t('sync.running'));
  // Counted as the volunteer recorded them: a hand-over with its payment is one (sync.js pendingActions). What it
  // carries for other phones counts too (the home screen tells them apart): « Tout est envoyé » once the server has
  // it all.
  const toSend = current.actions + current.carried;
  parts.push(toSend ? tn('sync.pending', toSend) : t('sync.all_sent'));
  if (current.refused) parts.push(tn('sync.refused', current.refused));
  // The connection is said once, here; any other failure in a word, its details on the home screen.
  if (current.lastError && !offline) parts.push(t('sync.failed_short'));
  put($('network'), offline ? t('app.offline') : '');
  put($('sync-text'), `${offline ? ' · ' : ''}${parts.join(' · ')}`);
  $('sync-bar').classList.toggle('pending', current.pending > 0 || current.carried > 0 || current.refused > 0);

  const details = [];
  if (current.pending) details.push(tn('phone.pending', current.actions));
  if (current.carried) details.push(tn('phone.carried', current.carried));
  if (!details.length) details.push(t('phone.all_sent'));
  details.push(current.lastSyncAt ? t('phone.last_sent', { time: when(current.lastSyncAt) }) : t('phone.never_sent'));
  put($('sync-details'), details.join(' '));
  const error = current.lastError ? syncErrorText(current.lastError) : '';
  put($('sync-error'), error);
  $('sync-error').hidden = !error;
  return current;
}

async function syncByHand(event) {
  if (!navigator.onLine) {
    warn(t('sync.offline'));
    return;
  }
  const result = await busy(event.currentTarget, () => syncNow());
  await renderSyncBar();
  if (!result.ok) warn(syncErrorText(result.error));
  else if (!(result.accepted + result.duplicates + result.pulled)) say(t('sync.done_nothing'));
  else say(`${tn('sync.done_sent', result.accepted + result.duplicates)} ${tn('sync.done_received', result.pulled)}`);
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

/** Wire the bars (once, at start): the worker, the update watch, the sync button, redraws on data changes. */
export function setUpStatus() {
  window.addEventListener('online', () => renderSyncBar());
  window.addEventListener('offline', () => renderSyncBar());
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
  quiet(); // a message said in the other language would stay in it
  renderSyncBar();
}
