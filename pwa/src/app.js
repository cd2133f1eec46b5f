// The volunteer app: starts the service worker, the bars and automatic sync, then the first screen. The screens
// live in ./screens/ (one job each), the shared helpers in ./ui/; docs/pwa.md ("Screens") lists them with the
// accessible names of their controls. The data layer (store, events, packs, projection, sync) is docs/pwa-data.md.
import './app.css';
import { onRevoked } from './api.js';
import { applyTranslations, lang, setLanguage, t } from './i18n.js';
import { followLanguage } from './push.js';
import * as store from './store.js';
import { startAutoSync } from './sync.js';
import { $, currentScreen, quiet } from './ui/dom.js';
import { go, redraw, TABS } from './ui/nav.js';
import { activeEnded, loadActive, recordingShift, refreshIndex, state } from './ui/state.js';
import './screens/cash.js';
import { wipeEnded } from './screens/distributions.js';
import { askPersistentStorage, check, enrolFromLink, goHome, setUpHome } from './screens/home.js';
import './screens/lists.js';
import './screens/member.js';
import { setUpScan } from './screens/scan.js';
import { renderSyncBar, setUpStatus, translateStatus } from './screens/status.js';
import { setUpTransfer } from './screens/transfer.js';

let autoSync = null;
const SWEEP_EVERY_MS = 10 * 60 * 1000;

/**
 * Wipe the packs of distributions that are over and sent (packs.js, `wipeEndedPacks`): at start, after each sync
 * (the last events may just have left), and every 10 minutes (a phone left open). A screen of the wiped
 * distribution gives way to the home screen, whose list says it was cleared.
 */
async function sweep() {
  try {
    const cleared = await wipeEnded();
    if (!cleared.some((note) => note.distributionId === state.distributionId)) return;
    await refreshIndex();
    if (!state.distributionId && ['scan', 'lists', 'cash'].includes(currentScreen())) await go('home');
  } catch (error) {
    console.error('Comptoir: ended packs not wiped', error);
  }
}

/** What an enrolled phone runs: persistent storage asked for, sync by itself from now on. */
async function startEnrolled() {
  const device = await store.getDevice();
  if (!device || device.revoked || autoSync) return;
  await askPersistentStorage();
  autoSync = startAutoSync();
}

async function revoked() {
  if (await store.getDevice()) await store.updateDevice({ revoked: { at: new Date().toISOString() } });
  autoSync?.();
  autoSync = null;
  state.scanner?.stop();
  state.scanner = null;
  await go('revoked');
}

function showLanguageSwitch() {
  const other = lang === 'fr' ? 'en' : 'fr';
  const button = $('language');
  button.textContent = t(`language.${other}`);
  button.lang = other;
  button.dataset.lang = other;
}

async function switchLanguage() {
  setLanguage($('language').dataset.lang);
  applyTranslations();
  showLanguageSwitch();
  translateStatus();
  await redraw({ force: true });
  // Notifications already on come in the new language from now on (online; otherwise at the next switch).
  followLanguage(await store.getCurrentShift()).catch(() => {});
}

async function main() {
  applyTranslations();
  showLanguageSwitch();
  $('language').addEventListener('click', switchLanguage);
  setUpStatus();
  setUpHome();
  setUpScan();
  setUpTransfer();
  onRevoked(revoked);
  // The tab bar's height as it is drawn (it grows with the text size): the member screen's confirm bar sits on it.
  new ResizeObserver(([entry]) => {
    const height = entry.target.offsetHeight;
    if (height) document.documentElement.style.setProperty('--comptoir-tabs-height', `${height}px`);
  }).observe($('tabs'));
  $('tabs').addEventListener('click', (event) => {
    const tab = event.target.closest('button[data-tab]')?.dataset.tab;
    if (!tab || !TABS.includes(tab)) return;
    quiet(); // the last message was about the screen left
    go(tab);
  });
  store.onDataChange(async (change) => {
    if (change.what === 'synced') sweep();
    if (change.what === 'pack' && change.distributionId === state.distributionId) await refreshIndex();
    if (change.what === 'pack' && currentScreen() !== 'home') return;
    if (['home', 'scan', 'lists', 'cash'].includes(currentScreen())) redraw();
  });
  window.addEventListener('online', check);

  if (location.pathname.endsWith('/enrol') && location.hash.length > 1) await enrolFromLink();
  await sweep();
  setInterval(sweep, SWEEP_EVERY_MS);
  await startEnrolled();
  const device = await store.getDevice();
  // Back on the Scanner of the distribution it was running, unless that is over (the list says what follows).
  if (device && !device.revoked && (await recordingShift()) && (await loadActive()) && !activeEnded()) await go('scan');
  else await goHome();
  await renderSyncBar();
  await check();
}

main();
