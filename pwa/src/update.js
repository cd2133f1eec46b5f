// The page's side of the service worker (pwa/sw.js, docs/pwa.md): registering it, hearing that a new version is
// ready, and switching to it only when the app says so: the update prompt as workbox-window does it
// (SKIP_WAITING to the waiting worker, then one reload on `controllerchange`).
//
// Nothing here runs at import time, and nothing touches `window` or `document` outside a function: the service
// worker bundle imports SYNC_TAG from this file.

export const SW_URL = '/sw.js';
export const SCOPE = '/app/';
/** The Background Sync tag the service worker answers by calling pwa/src/sync.js `syncAll()`. */
export const SYNC_TAG = 'comptoir-sync';
const HOUR_MS = 60 * 60 * 1000;

function supported() {
  return typeof navigator !== 'undefined' && 'serviceWorker' in navigator;
}

let registering = null;

/**
 * Register the volunteer app's service worker (once; later calls return the same promise). Resolves to the
 * ServiceWorkerRegistration, or null where service workers are unavailable or registration failed (the app then
 * works online only). While the page is open it also asks for a new version when the network comes back, when the
 * app returns to the foreground, and every hour.
 */
export function registerServiceWorker() {
  if (!supported()) return Promise.resolve(null);
  if (!registering) {
    registering = navigator.serviceWorker
      .register(SW_URL, { scope: SCOPE, updateViaCache: 'none' })
      .then((registration) => {
        const check = () => registration.update().catch(() => {}); // offline: next time
        window.addEventListener('online', check);
        document.addEventListener('visibilitychange', () => {
          if (document.visibilityState === 'visible') check();
        });
        setInterval(check, HOUR_MS);
        return registration;
      })
      .catch((error) => {
        console.warn('Comptoir: service worker not registered', error);
        return null;
      });
  }
  return registering;
}

/**
 * Call `onUpdateReady()` once a new version has been installed and waits to take over (also right away if one was
 * already waiting). It is called once per new version. The app then shows "Nouvelle version — recharger" and calls
 * `applyUpdate()` when the volunteer agrees and no scan is in progress. Returns a function that stops watching.
 */
export function watchForUpdate(onUpdateReady) {
  if (!supported()) return () => {};
  let stopped = false;
  let registration = null;
  const announced = new WeakSet();

  const announce = (worker) => {
    if (stopped || announced.has(worker) || registration.waiting !== worker) return;
    announced.add(worker);
    onUpdateReady();
  };
  const follow = (worker) => {
    if (!worker) return;
    if (worker.state === 'installed') announce(worker);
    else worker.addEventListener('statechange', () => worker.state === 'installed' && announce(worker));
  };
  const onUpdateFound = () => follow(registration.installing);

  // `ready` resolves once a version is active: from then on, any worker that installs is a new version.
  navigator.serviceWorker.ready.then((ready) => {
    if (stopped) return;
    registration = ready;
    registration.addEventListener('updatefound', onUpdateFound);
    follow(registration.waiting);
    follow(registration.installing);
  });
  return () => {
    stopped = true;
    registration?.removeEventListener('updatefound', onUpdateFound);
  };
}

/**
 * Switch to the waiting version: tell it to skip waiting, and reload the page once it controls the page.
 * Resolves true when the switch is under way (the page is about to reload), false when no version is waiting.
 */
export async function applyUpdate() {
  if (!supported()) return false;
  const registration = await navigator.serviceWorker.getRegistration(SCOPE);
  const waiting = registration?.waiting;
  if (!waiting) return false;
  navigator.serviceWorker.addEventListener('controllerchange', () => window.location.reload(), { once: true });
  waiting.postMessage({ type: 'SKIP_WAITING' });
  return true;
}

/** The version (a content hash, e.g. "3f9c1a2b7d4e6f80") of the worker controlling this page, or null. */
export async function currentVersion() {
  const controller = supported() ? navigator.serviceWorker.controller : null;
  if (!controller) return null;
  const channel = new MessageChannel();
  const answer = new Promise((resolve) => {
    channel.port1.onmessage = (event) => resolve(event.data?.version ?? null);
    setTimeout(() => resolve(null), 2000);
  });
  controller.postMessage({ type: 'GET_VERSION' }, [channel.port2]);
  return answer;
}

/**
 * Ask the browser for a Background Sync: the service worker then runs `syncAll()` from pwa/src/sync.js when the
 * network is back, even if the app was closed. Chromium only: resolves false where it is unsupported or refused,
 * so it is a bonus, never the only trigger.
 */
export async function requestBackgroundSync() {
  if (!supported()) return false;
  const registration = await navigator.serviceWorker.getRegistration(SCOPE);
  if (!registration?.sync) return false;
  try {
    await registration.sync.register(SYNC_TAG);
    return true;
  } catch {
    return false;
  }
}
