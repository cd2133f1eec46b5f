// The member page keeps working offline from its first visit: a small service worker keeps the last copy of it
// (pwa/member/sw.js keeps the pages open while it installs; a page it did not serve asks to be kept).
if ('serviceWorker' in navigator) {
  navigator.serviceWorker
    .register('/m/sw.js', { scope: '/m/' })
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      if (!navigator.serviceWorker.controller) registration.active?.postMessage({ type: 'keep-page', url: location.href });
    })
    .catch(() => {});
}

// Notifications (docs/pwa.md, "Notifications"), on the member's request only: the browser's permission, a push
// subscription of the member pages' worker with the server's VAPID key (`GET /api/push/key`), given to the server
// for this page's household (`POST /m/<token>/push`); off: `DELETE`, then the browser drops it. The words come
// translated in the section's data-* attributes (server/templates/members/page.html). Served as it is, not
// bundled: the volunteer app's pwa/src/push.js does the same for volunteers.
const section = document.getElementById('notify');
const KEPT = 'comptoir.push'; // {endpoint, page}: which page this browser's one subscription was given to

function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function base64urlToBytes(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

function kept() {
  try {
    return JSON.parse(localStorage.getItem(KEPT));
  } catch {
    return null;
  }
}

async function currentSubscription() {
  const registration = await navigator.serviceWorker.getRegistration('/m/');
  return (await registration?.pushManager.getSubscription()) ?? null;
}

/** Show where things stand: `on`, `off`, `denied` or `unsupported`, with `note` (a key of the words) after it. */
function show(state, note) {
  const words = section.dataset;
  const lines = [words[state]];
  const canAct = state === 'on' || state === 'off';
  if (note) lines.push(words[note]);
  else if (canAct && !navigator.onLine) lines.push(words.network);
  document.getElementById('notify-status').textContent = lines.join(' ');
  for (const [id, visible] of [
    ['notify-on', state === 'off'],
    ['notify-off', state === 'on'],
  ]) {
    const button = document.getElementById(id);
    button.hidden = !visible;
    button.disabled = !navigator.onLine;
  }
  section.dataset.state = state;
  section.hidden = false;
}

async function refresh(note) {
  if (!pushSupported()) return show('unsupported');
  if (Notification.permission === 'denied') return show('denied');
  const subscription = await currentSubscription();
  const mine =
    subscription !== null &&
    Notification.permission === 'granted' &&
    kept()?.endpoint === subscription.endpoint &&
    kept()?.page === section.dataset.pushUrl;
  return show(mine ? 'on' : 'off', note);
}

async function send(method, body) {
  const response = await fetch(section.dataset.pushUrl, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (response.ok) return;
  const reason = (await response.json().catch(() => null))?.error?.reason;
  if (method === 'DELETE' && reason === 'subscription_unknown') return; // already forgotten
  throw new Error(reason || `http_${response.status}`);
}

async function turnOn() {
  const permission = await Notification.requestPermission(); // first: the prompt needs the tap
  if (permission !== 'granted') return refresh(permission === 'denied' ? null : 'dismissed');
  const registration = await navigator.serviceWorker.ready; // subscribing needs an active worker
  const answer = await fetch('/api/push/key', { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!answer.ok) throw new Error(`http_${answer.status}`);
  const key = base64urlToBytes((await answer.json()).public_key);
  let subscription = await registration.pushManager.getSubscription();
  const oldKey = subscription?.options?.applicationServerKey;
  const sameKey = oldKey && oldKey.byteLength === key.length && new Uint8Array(oldKey).every((b, i) => b === key[i]);
  if (subscription && oldKey && !sameKey) {
    await subscription.unsubscribe(); // made with another server key: useless now
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await send('POST', { subscription: subscription.toJSON(), lang: document.documentElement.lang || 'fr' });
  localStorage.setItem(KEPT, JSON.stringify({ endpoint: subscription.endpoint, page: section.dataset.pushUrl }));
  return refresh();
}

async function turnOff() {
  const subscription = await currentSubscription();
  if (subscription) {
    await send('DELETE', { endpoint: subscription.endpoint });
    await subscription.unsubscribe();
  }
  localStorage.removeItem(KEPT);
  return refresh();
}

function act(work) {
  return async (event) => {
    const button = event.currentTarget;
    if (!navigator.onLine) return refresh();
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      await work();
    } catch (error) {
      console.error('Comptoir: notifications', error);
      await refresh('failed');
    } finally {
      button.removeAttribute('aria-busy');
      button.disabled = !navigator.onLine;
    }
  };
}

if (section) {
  document.getElementById('notify-on').addEventListener('click', act(turnOn));
  document.getElementById('notify-off').addEventListener('click', act(turnOff));
  window.addEventListener('online', () => refresh());
  window.addEventListener('offline', () => refresh());
  refresh();
}
