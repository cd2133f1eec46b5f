// The home screen and what comes before it: enrolment from the link, the volunteers signed in on this phone
// (passkey sign-in with a PIN, switching offline with the PIN, signing out), the distributions of the day, the
// notifications (./notifications.js), and the phone's state (persistent storage, version, events the server
// refused). See docs/devices.md.
import { startAuthentication } from '@simplewebauthn/browser';
import { ApiError, NetworkError, call, enrol } from '../api.js';
import { reasonText, t, tn } from '../i18n.js';
import { MAX_PIN_FAILURES, PIN_PATTERN, hashPin, verifyPin } from '../pin.js';
import * as store from '../store.js';
import { refusedEvents, retryRefused, syncNow } from '../sync.js';
import { refreshTrust } from '../trust.js';
import { currentVersion } from '../update.js';
import { $, busy, currentScreen, h, say, warn } from '../ui/dom.js';
import { formatClock, formatDayClock } from '../ui/format.js';
import { go, registerScreen } from '../ui/nav.js';
import { fetchDistributions, renderDistributions } from './distributions.js';
import { renderNotifications, setUpNotifications } from './notifications.js';
import { renderSyncBar, syncErrorText } from './status.js';

export function describe(error) {
  if (error instanceof NetworkError) return t('app.network_needed');
  if (error instanceof ApiError) return reasonText(error.reason, error.message);
  return t('app.error', { message: error.message });
}

function expired(shift) {
  return Date.parse(shift.validUntil) <= Date.now() || Boolean(shift.ended);
}

// The phone's state.

let storagePersisted = null;
let version = null;

/** Ask for persistent storage once (at start); the home screen says whether the browser granted it. */
export async function askPersistentStorage() {
  storagePersisted = await store.requestPersistentStorage();
  return storagePersisted;
}

async function renderPhone() {
  const persisted = storagePersisted ?? (await store.persisted());
  $('storage').textContent = persisted ? t('phone.storage_yes') : t('phone.storage_no');
  $('storage').classList.toggle('warning', !persisted);
  version ??= await currentVersion(); // the page runs one version until it reloads
  // The version itself (a content hash) is for support only: kept in an attribute, not shown.
  $('version').textContent = version ? t('phone.ready') : t('phone.not_ready');
  if (version) $('version').dataset.version = version;

  const refused = await refusedEvents();
  const section = $('refused');
  section.hidden = !refused.length;
  if (!refused.length) return;
  $('refused-title').textContent = tn('phone.refused_title', refused.length);
  $('refused-list').replaceChildren(
    ...refused.map((entry) =>
      h(
        'li',
        {},
        t('phone.refused_item', {
          what: t(`event.${entry.event.type}`),
          at: formatClock(entry.event.device_time),
          reason: refusalText(entry.reason),
        }),
      ),
    ),
  );
}

function refusalText(reason) {
  const key = `refusal.${reason}`;
  const text = t(key);
  return text === key ? t('refusal.other', { reason }) : text;
}

async function retry(event) {
  await busy(event.currentTarget, async () => {
    const count = await retryRefused();
    const result = await syncNow();
    say(tn('phone.retried', count));
    if (!result.ok) warn(syncErrorText(result.error));
  });
  await renderHome();
  await renderSyncBar();
}

// The home screen.

/** "Accès valable jusqu’à minuit." when the shift ends tonight at midnight (not "jusqu'à sam. 00:00"), else the day
 * and time it ends. */
function untilText(iso) {
  const end = new Date(iso);
  const midnight = new Date();
  midnight.setHours(24, 0, 0, 0);
  if (end.getTime() === midnight.getTime()) return t('home.current_until_midnight');
  return t('home.current_until', { time: formatDayClock(iso) });
}

async function renderHome() {
  const device = await store.getDevice();
  if (!device) return;
  const shifts = (await store.getShifts()).sort((a, b) => a.user.display_name.localeCompare(b.user.display_name));
  const current = await store.getCurrentShift();

  $('device-name').textContent = t('home.device', { name: device.name });
  $('device-points').textContent = t('home.points', { points: device.points.map((p) => p.name).join(', ') });
  if (current) {
    $('current-name').textContent = t('home.current', { name: current.user.display_name });
    $('current-until').textContent = expired(current)
      ? t('home.expired')
      : untilText(current.validUntil);
    $('sign-out').textContent = t('home.sign_out', { name: current.user.display_name });
    $('sign-out').hidden = false;
  } else {
    $('current-name').textContent = t('home.nobody');
    $('current-until').textContent = '';
    $('sign-out').hidden = true;
  }

  const list = $('volunteers');
  list.replaceChildren();
  for (const shift of shifts) {
    const item = document.createElement('li');
    const name = shift.user.display_name;
    if (current && shift.id === current.id) {
      const label = document.createElement('strong');
      label.textContent = `${name} (${t('home.you')})`;
      item.append(label);
    } else {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'outline';
      button.textContent = t('home.switch', { name });
      button.dataset.shift = shift.id;
      button.disabled = shift.locked || expired(shift);
      item.append(button);
      if (shift.locked || expired(shift)) {
        const note = document.createElement('small');
        note.textContent = shift.locked ? t('home.locked') : t('home.expired');
        item.append(note);
      }
    }
    list.append(item);
  }
  $('volunteers-empty').hidden = shifts.length > 0;
  $('add-volunteer').textContent = shifts.length ? t('home.add') : t('home.sign_in');
  await renderDistributions();
  // Not awaited: the browser's push state may be slow to come (it asks the browser process); the section fills in
  // when it does, and never holds up the screen.
  renderNotifications().catch((error) => console.error('Comptoir: notifications', error));
  await renderPhone();
}

/** The first screen for this phone's state: not enrolled, revoked, or home. */
export async function goHome() {
  const device = await store.getDevice();
  if (!device) return go('unenrolled');
  if (device.revoked) return go('revoked');
  return go('home');
}

// Enrolment: the token arrives in the link's fragment (#…), which never leaves the phone except in this POST.

export async function enrolFromLink() {
  const token = decodeURIComponent(location.hash.slice(1));
  history.replaceState(null, '', '/app/');
  const existing = await store.getDevice();
  if (existing && !existing.revoked) {
    say(t('enrol.already', { name: existing.name }));
    return false;
  }
  say(t('enrol.working'));
  try {
    const device = await enrol(token);
    say(t('enrol.done', { name: device.name }));
    return true;
  } catch (error) {
    warn(describe(error));
    return false;
  }
}

// Signing in: a PIN chosen here, then the passkey; the server answers with a shift for this volunteer.

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  const error = $('sign-in-error');
  error.hidden = true;
  const pin = form.pin.value.trim();
  if (!PIN_PATTERN.test(pin)) return fail(t('sign_in.pin_invalid'));
  if (pin !== form.pin_confirm.value.trim()) return fail(t('sign_in.pin_mismatch'));
  const submit = $('sign-in-submit');
  submit.setAttribute('aria-busy', 'true');
  submit.disabled = true;
  try {
    const email = form.email.value.trim();
    const started = await call('POST', '/api/shifts/options', { body: email ? { email } : {} });
    let credential;
    try {
      credential = await startAuthentication({ optionsJSON: started.options });
    } catch {
      return fail(`${t('reason.passkey_cancelled')} ${t('sign_in.no_passkey')}`);
    }
    const answer = await call('POST', '/api/shifts', { body: { ceremony: started.ceremony, credential } });
    const { shift } = answer;
    await store.addShift({
      id: shift.id,
      token: shift.token,
      startedAt: shift.started_at,
      validUntil: shift.valid_until,
      user: shift.user,
      points: answer.points,
      pin: await hashPin(pin),
      failures: 0,
      locked: false,
    });
    form.reset();
    await fetchDistributions();
    await go('home');
    say(t('sign_in.done', { name: shift.user.display_name }));
  } catch (caught) {
    // A passkey refused by the server: perhaps none was ever made for this volunteer; say where one comes from.
    const passkey = caught?.reason?.startsWith?.('passkey_');
    fail(passkey ? `${describe(caught)} ${t('sign_in.no_passkey')}` : describe(caught));
  } finally {
    submit.removeAttribute('aria-busy');
    submit.disabled = false;
  }

  function fail(text) {
    error.textContent = text;
    error.hidden = false;
  }
}

// Switching volunteers: offline, with the PIN; five wrong PINs lock that volunteer's shift on this phone.

let switching = null;

async function askPin(shiftId) {
  switching = await store.getShift(shiftId);
  if (!switching) return;
  $('pin-title').textContent = t('pin.title', { name: switching.user.display_name });
  $('pin-error').hidden = true;
  $('pin-form').reset();
  $('pin-dialog').showModal();
  $('pin-entry').focus();
}

async function checkPin(event) {
  event.preventDefault();
  const shift = switching && (await store.getShift(switching.id));
  if (!shift) return $('pin-dialog').close();
  const pin = $('pin-entry').value.trim();
  const error = $('pin-error');
  if (!shift.locked && (await verifyPin(pin, shift.pin))) {
    await store.putShift({ ...shift, failures: 0 });
    await store.setCurrentShift(shift.id);
    $('pin-dialog').close();
    switching = null;
    await go('home');
    say(t('pin.switched', { name: shift.user.display_name }));
    focusCurrent(); // the button that opened the dialog is gone with the redraw: focus would fall to the page
    return;
  }
  const failures = (shift.failures || 0) + 1;
  const locked = shift.locked || failures >= MAX_PIN_FAILURES;
  await store.putShift({ ...shift, failures, locked });
  $('pin-entry').value = '';
  error.textContent = locked
    ? t('pin.locked', { name: shift.user.display_name })
    : tn('pin.wrong', MAX_PIN_FAILURES - failures);
  error.hidden = false;
  if (locked) await go('home');
}

/** Put the focus on who is in charge of the phone now (the home screen's heading). */
function focusCurrent() {
  const heading = $('current-name');
  heading.tabIndex = -1;
  heading.focus();
}

async function signOut() {
  const current = await store.getCurrentShift();
  if (!current) return;
  try {
    await call('DELETE', '/api/shifts/current', { shift: current });
  } catch (error) {
    if (error instanceof ApiError && error.reason === 'device_revoked') return;
    // Offline or already ended: the shift is forgotten here anyway and expires at midnight on the server.
  }
  await store.removeShift(current.id);
  await go('home');
  say(t('sign_out.done', { name: current.user.display_name }));
}

/**
 * Ask the server (when online) whether this phone and its current volunteer are still good, refresh what it needs
 * to check tickets offline (keys and revocation list) and the distributions this volunteer may run.
 */
export async function check() {
  const device = await store.getDevice();
  if (!device || device.revoked || !navigator.onLine) return;
  const current = await store.getCurrentShift();
  try {
    const answer = await call('GET', '/api/device', { shift: current });
    await store.updateDevice({ name: answer.device.name, points: answer.device.points });
    await refreshTrust();
    if (current && answer.shift === null) {
      await store.putShift({ ...current, ended: answer.shift_refused });
    }
    await fetchDistributions();
    if (currentScreen() === 'home') await go('home', { focus: false });
  } catch (error) {
    if (!(error instanceof NetworkError) && !(error instanceof ApiError && error.reason === 'device_revoked')) {
      warn(describe(error));
    }
  }
}

/** Wire the home screen's controls (once, at start). */
export function setUpHome() {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-in-cancel').addEventListener('click', () => {
    $('sign-in-form').reset();
    go('home');
  });
  $('add-volunteer').addEventListener('click', async () => {
    say('');
    await go('sign-in', { focus: false });
    $('pin-new').focus();
  });
  $('volunteers').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-shift]');
    if (button) askPin(button.dataset.shift);
  });
  $('pin-form').addEventListener('submit', checkPin);
  $('pin-cancel').addEventListener('click', () => $('pin-dialog').close());
  $('sign-out').addEventListener('click', signOut);
  $('retry-refused').addEventListener('click', retry);
  setUpNotifications();
}

registerScreen('home', { render: renderHome });
registerScreen('revoked', {
  render() {
    say('');
    $('revoked-text').textContent = t('revoked.text');
  },
});
