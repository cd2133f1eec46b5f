// Web Push on the volunteer's side (docs/pwa.md, "Notifications"): turn notifications on or off for the volunteer
// signed in on this phone. On: the browser's permission, a push subscription of the app's worker (scope /app/)
// with the server's VAPID key (`GET /api/push/key`), given to the server for this volunteer and device (`POST
// /api/push/subscriptions`). Off: the server forgets it (`DELETE`), then the browser. Both need the network.
//
// The browser has one subscription per worker, so one per phone: the server gives it to the volunteer who posted
// it last. `meta.push` remembers who that is ({endpoint, userId, name, lang}), for the home screen to say whether
// notifications are on for the volunteer signed in now, or go to someone else.
import { NetworkError, call } from './api.js';
import { lang } from './i18n.js';
import * as store from './store.js';
import { registerServiceWorker } from './update.js';

const META_KEY = 'push';

/** Whether this browser can receive push notifications here (iOS: only once the app is on the home screen). */
export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function base64urlToBytes(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

function sameBytes(a, b) {
  const x = new Uint8Array(a);
  return x.length === b.length && x.every((byte, i) => byte === b[i]);
}

async function registration() {
  const found = await registerServiceWorker();
  if (!found) return null;
  return navigator.serviceWorker.ready; // subscribing needs an active worker
}

/**
 * Where notifications stand on this phone for `shift`'s volunteer:
 * `unsupported` | `denied` (refused in the browser's settings) | `on` | `other` (on, for `owner`) | `off`.
 * @returns {Promise<{state: string, owner?: string}>}
 */
export async function pushState(shift) {
  if (!pushSupported()) return { state: 'unsupported' };
  if (Notification.permission === 'denied') return { state: 'denied' };
  const found = await navigator.serviceWorker.getRegistration('/app/');
  const subscription = await found?.pushManager.getSubscription();
  const saved = await store.getMeta(META_KEY);
  if (!subscription || !saved || saved.endpoint !== subscription.endpoint || Notification.permission !== 'granted') {
    return { state: 'off' };
  }
  if (shift && saved.userId === shift.user.id) return { state: 'on' };
  return { state: 'other', owner: saved.name };
}

/**
 * Turn notifications on for `shift`'s volunteer (call it from the tap: the permission prompt needs it).
 * Resolves to the new state (`on`, or `denied` / `dismissed` when the permission was not given); rejects with a
 * NetworkError offline, an ApiError when the server refuses.
 */
export async function turnOn(shift) {
  if (!navigator.onLine) throw new NetworkError('offline');
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return permission === 'denied' ? 'denied' : 'dismissed';
  const found = await registration();
  if (!found) return 'unsupported';
  const { public_key: publicKey } = await call('GET', '/api/push/key');
  const key = base64urlToBytes(publicKey);
  let subscription = await found.pushManager.getSubscription();
  const oldKey = subscription?.options?.applicationServerKey;
  if (subscription && oldKey && !sameBytes(oldKey, key)) {
    await subscription.unsubscribe(); // made with another server key: useless now
    subscription = null;
  }
  subscription ??= await found.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await call('POST', '/api/push/subscriptions', { body: { subscription: subscription.toJSON(), lang }, shift });
  await store.setMeta(META_KEY, {
    endpoint: subscription.endpoint,
    userId: shift.user.id,
    name: shift.user.display_name,
    lang,
  });
  return 'on';
}

/** Turn notifications off on this phone: the server forgets the subscription, then the browser drops it. */
export async function turnOff(shift) {
  if (!navigator.onLine) throw new NetworkError('offline');
  const found = await navigator.serviceWorker.getRegistration('/app/');
  const subscription = await found?.pushManager.getSubscription();
  if (subscription) {
    try {
      await call('DELETE', '/api/push/subscriptions', { body: { endpoint: subscription.endpoint }, shift });
    } catch (error) {
      if (error.reason !== 'subscription_unknown') throw error; // already forgotten: drop it here too
    }
    await subscription.unsubscribe();
  }
  await (await store.database()).delete('meta', META_KEY);
  return 'off';
}

/** After a change of language: the notifications already on for `shift`'s volunteer come in the new one. */
export async function followLanguage(shift) {
  const saved = await store.getMeta(META_KEY);
  if (!shift || !navigator.onLine || !saved || saved.userId !== shift.user.id || saved.lang === lang) return;
  if ((await pushState(shift)).state !== 'on') return;
  const found = await navigator.serviceWorker.getRegistration('/app/');
  const subscription = await found.pushManager.getSubscription();
  await call('POST', '/api/push/subscriptions', { body: { subscription: subscription.toJSON(), lang }, shift });
  await store.setMeta(META_KEY, { ...saved, lang });
}
