// The volunteer app (minimal: enrol, sign in with a passkey and a PIN, switch volunteers offline, sign out).
// The offline shell (service worker), the pack and the outbox come with later issues. See docs/devices.md.
import './app.css';
import { startAuthentication } from '@simplewebauthn/browser';
import { ApiError, NetworkError, call, enrol, onRevoked } from './api.js';
import { applyTranslations, lang, reasonText, t } from './i18n.js';
import { MAX_PIN_FAILURES, PIN_PATTERN, hashPin, verifyPin } from './pin.js';
import * as store from './store.js';
import { refreshTrust } from './trust.js';

const SCREENS = ['loading', 'unenrolled', 'revoked', 'home', 'sign-in'];
const $ = (id) => document.getElementById(id);

function show(screen) {
  for (const name of SCREENS) $(`screen-${name}`).hidden = name !== screen;
}

function say(text) {
  $('alert').hidden = true;
  $('message').textContent = text;
  $('message').hidden = !text;
}

function warn(text) {
  $('message').hidden = true;
  $('alert').textContent = text;
  $('alert').hidden = !text;
}

function describe(error) {
  if (error instanceof NetworkError) return t('app.network_needed');
  if (error instanceof ApiError) return reasonText(error.reason, error.message);
  return t('app.error', { message: error.message });
}

function formatTime(iso) {
  return new Intl.DateTimeFormat(lang, { weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

function expired(shift) {
  return Date.parse(shift.validUntil) <= Date.now() || Boolean(shift.ended);
}

function showNetwork() {
  $('network').textContent = navigator.onLine ? '' : t('app.offline');
}

// Screens.

async function showRevoked() {
  say('');
  show('revoked');
  $('revoked-text').textContent = t('revoked.text');
}

async function renderHome() {
  const device = await store.getDevice();
  if (!device) return show('unenrolled');
  if (device.revoked) return showRevoked();
  const shifts = (await store.getShifts()).sort((a, b) => a.user.display_name.localeCompare(b.user.display_name));
  const current = await store.getCurrentShift();

  $('device-name').textContent = t('home.device', { name: device.name });
  $('device-points').textContent = t('home.points', { points: device.points.map((p) => p.name).join(', ') });
  if (current) {
    $('current-name').textContent = t('home.current', { name: current.user.display_name });
    $('current-until').textContent = expired(current)
      ? t('home.expired')
      : t('home.current_until', { time: formatTime(current.validUntil) });
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
  show('home');
}

// Enrolment: the token arrives in the link's fragment (#…), which never leaves the phone except in this POST.

async function enrolFromLink() {
  const token = decodeURIComponent(location.hash.slice(1));
  history.replaceState(null, '', '/app/');
  const existing = await store.getDevice();
  if (existing && !existing.revoked) {
    say(t('enrol.already', { name: existing.name }));
    return;
  }
  say(t('enrol.working'));
  try {
    const device = await enrol(token);
    say(t('enrol.done', { name: device.name }));
  } catch (error) {
    warn(describe(error));
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
      return fail(t('reason.passkey_cancelled'));
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
    await renderHome();
    say(t('sign_in.done', { name: shift.user.display_name }));
  } catch (caught) {
    fail(describe(caught));
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
    await renderHome();
    say(t('pin.switched', { name: shift.user.display_name }));
    return;
  }
  const failures = (shift.failures || 0) + 1;
  const locked = shift.locked || failures >= MAX_PIN_FAILURES;
  await store.putShift({ ...shift, failures, locked });
  $('pin-entry').value = '';
  error.textContent = locked
    ? t('pin.locked', { name: shift.user.display_name })
    : t('pin.wrong', { left: MAX_PIN_FAILURES - failures });
  error.hidden = false;
  if (locked) await renderHome();
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
  await renderHome();
  say(t('sign_out.done', { name: current.user.display_name }));
}

// Asking the server (when online) whether this phone and its current volunteer are still good, and refreshing
// what it needs to check tickets offline (keys and revocation list).

async function check() {
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
    await renderHome();
  } catch (error) {
    if (!(error instanceof NetworkError) && !(error instanceof ApiError && error.reason === 'device_revoked')) {
      warn(describe(error));
    }
  }
}

async function revoked() {
  if (await store.getDevice()) await store.updateDevice({ revoked: { at: new Date().toISOString() } });
  await showRevoked();
}

async function main() {
  applyTranslations();
  showNetwork();
  window.addEventListener('online', () => {
    showNetwork();
    check();
  });
  window.addEventListener('offline', showNetwork);
  onRevoked(revoked);
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-in-cancel').addEventListener('click', () => {
    $('sign-in-form').reset();
    renderHome();
  });
  $('add-volunteer').addEventListener('click', () => {
    say('');
    show('sign-in');
    $('pin-new').focus();
  });
  $('volunteers').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-shift]');
    if (button) askPin(button.dataset.shift);
  });
  $('pin-form').addEventListener('submit', checkPin);
  $('pin-cancel').addEventListener('click', () => $('pin-dialog').close());
  $('sign-out').addEventListener('click', signOut);

  if (location.pathname.endsWith('/enrol') && location.hash.length > 1) await enrolFromLink();
  await renderHome();
  await check();
}

main();
