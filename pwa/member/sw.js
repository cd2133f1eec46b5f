// Member pages: network first (a fresh next pick-up and balance), the last copy when offline (the ticket
// itself never changes until it is re-issued). Nothing else is cached; the admin and the API are never touched.
// At the end: the push notifications the member asked for on the page (pwa/member/page.js).
//
// Served at /m/sw.js (scope /m/) once bundled by pwa/build-sw.mjs into pwa/dist/member-sw.js (server/members).
import { onPush, openNotification } from '../src/push-worker.js';

const VERSION = 'member-v1';
const CACHE = `comptoir-${VERSION}`;
const SHARED = ['/vendor/pico.min.css', '/static/member.css', '/m/page.js'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHARED)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('comptoir-member') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const isPage = request.mode === 'navigate' && url.pathname.startsWith('/m/');
  const isShared = SHARED.includes(url.pathname) || url.pathname.startsWith('/static/icons/');
  if (!isPage && !isShared) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request).then((cached) => cached || Response.error())),
  );
});

// Web Push (docs/pwa.md, "Notifications"): the day before a pick-up, a basket not collected. The handlers are the
// volunteer app's (pwa/src/push-worker.js, bundled in by pwa/build-sw.mjs: one copy); a notification without URL
// opens the member page this phone last kept.
self.addEventListener('push', onPush);

/** The member page this phone last kept (the start page of a notification without URL). */
async function lastPage() {
  const keys = await (await caches.open(CACHE)).keys();
  const pages = keys.filter((request) => /^\/m\/[\w-]+$/.test(new URL(request.url).pathname));
  return pages.length ? pages[pages.length - 1].url : null;
}

self.addEventListener('notificationclick', (event) => {
  event.waitUntil(lastPage().then((fallback) => openNotification(event.notification, fallback)));
});
