// The volunteer app's service worker (docs/pwa.md). Served at /sw.js, registered with scope /app/ by
// pwa/src/update.js, so it controls the volunteer app's pages and nothing else (admin and member pages keep their
// own behaviour; member pages have their own worker at /m/sw.js).
//
// Shape: MDN's cycletracker sw.js. A VERSION, one cache named after it, an explicit list of URLs precached on
// install, older caches deleted on activate. Strategies as Workbox's recipes name them:
//   - navigations to /app/…             → the precached shell (cache first: the point has no network)
//   - the precached files (JS, CSS…)     → cache first, from this version's cache
//   - /api/…                             → never touched, never cached: straight to the network
//   - anything else                      → not intercepted
// Web Push: a `push` shows the server's notification, a tap on it opens or focuses its page (./src/push-worker.js).
// A new version waits until the page says SKIP_WAITING (pwa/src/update.js `applyUpdate`), as workbox-window does,
// so it never replaces the code of a page in the middle of a scan.
//
// Both VERSION and the URL list are written into this file at build time by pwa/build-sw.mjs (esbuild `define`):
// VERSION is a hash of every precached file's content, so any change to the shell changes this file's bytes,
// which is what makes the browser install a new worker.

// The data layer's upload, run by Background Sync (Chromium only; never the only trigger, see pwa/src/sync.js).
// pwa/build-sw.mjs replaces the module by an empty stub while pwa/src/sync.js does not exist.
import * as sync from './src/sync.js'; // ← the one line that ties the data layer to this worker
import { SYNC_TAG } from './src/update.js';
import { onPush, openNotification } from './src/push-worker.js';

/* global __PRECACHE__ */
const { version: VERSION, urls: PRECACHE_URLS, decoder: DECODER_URLS } = __PRECACHE__;
const CACHE_PREFIX = 'comptoir-app-';
const CACHE = `${CACHE_PREFIX}${VERSION}`;
const SHELL = '/app/';
const SCOPE_PATH = new URL(self.registration.scope).pathname; // '/app/'

const precached = new Set([...PRECACHE_URLS, ...DECODER_URLS]);

/** Whether this browser reads QR codes itself (Chrome on Android does): then the polyfill and its .wasm — nine
 * tenths of the shell's weight — are never needed, so they are not downloaded. */
async function nativeQr() {
  try {
    return 'BarcodeDetector' in self && (await self.BarcodeDetector.getSupportedFormats()).includes('qr_code');
  } catch {
    return false;
  }
}

self.addEventListener('install', (event) => {
  // `cache: 'reload'` skips the HTTP cache: the files of this version, not whatever the browser kept.
  const fetchAll = (cache, urls) => cache.addAll(urls.map((url) => new Request(url, { cache: 'reload' })));
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      await fetchAll(cache, PRECACHE_URLS);
      if (!(await nativeQr())) await fetchAll(cache, DECODER_URLS);
    }),
  );
  // No skipWaiting() here: an update waits for the page's SKIP_WAITING. The very first install activates at once
  // anyway (nothing is active yet).
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE))
      .then((old) => Promise.all(old.map((name) => caches.delete(name))))
      .then(() => self.clients.claim()), // the first page that registered us is controlled without a reload
  );
});

self.addEventListener('message', (event) => {
  const type = event.data?.type;
  if (type === 'SKIP_WAITING') self.skipWaiting();
  if (type === 'GET_VERSION') event.ports[0]?.postMessage({ version: VERSION });
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) return; // the network, always: never cached, never answered from here

  if (request.mode === 'navigate' && url.pathname.startsWith(SCOPE_PATH)) {
    event.respondWith(fromCache(SHELL, request));
    return;
  }
  const key = url.pathname + url.search;
  if (precached.has(key)) event.respondWith(fromCache(key, request));
});

/** This version's copy of `key`; the network only if the cache lost it (storage cleared under our feet). */
async function fromCache(key, request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key);
  if (cached) return cached;
  return fetch(request);
}

self.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  // A rejection tells the browser to try again later (with its own backoff); syncAll rejects when the upload did
  // not complete.
  if (typeof sync.syncAll === 'function') event.waitUntil(sync.syncAll());
});

self.addEventListener('push', onPush);

self.addEventListener('notificationclick', (event) => {
  event.waitUntil(openNotification(event.notification, SHELL));
});
