// Member pages: network first (a fresh next pick-up and balance), the last copy when offline (the ticket
// itself never changes until it is re-issued). Nothing else is cached; the admin and the API are never touched.
// The page a worker is installed from is kept at once, so the first visit already works offline; a copy served
// from the cache says so (its banner, hidden in the live page, shows: data-copy="live" becomes "kept").
// At the end: the push notifications the member asked for on the page (pwa/member/page.js).
//
// Served at /m/sw.js (scope /m/) once bundled by pwa/build-sw.mjs into pwa/dist/member-sw.js (server/members).
import { onPush, openNotification } from '../src/push-worker.js';

const VERSION = 'member-v2';
const CACHE = `comptoir-${VERSION}`;
const SHARED = ['/vendor/pico.min.css', '/static/admin.css', '/static/member.css', '/m/page.js'];
const PAGE = /^\/m\/[\w-]+$/; // a member page, /m/<token> (not /m/sw.js, /m/page.js)
const MATCH = { ignoreVary: true }; // the page varies on the language cookie: a kept copy is still the page

/** Keep a fresh copy of the member pages at these URLs (the pages open while this worker installs). */
async function keepPages(cache, urls) {
  const pages = urls.filter((url) => {
    const parsed = new URL(url);
    return parsed.origin === self.location.origin && PAGE.test(parsed.pathname);
  });
  await Promise.all(pages.map((url) => cache.add(url).catch(() => {})));
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(SHARED);
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      await keepPages(cache, windows.map((client) => client.url));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('comptoir-member') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

// A page this worker did not serve (opened before it took control) asks to be kept: pwa/member/page.js.
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'keep-page' || typeof event.data.url !== 'string') return;
  event.waitUntil(caches.open(CACHE).then((cache) => keepPages(cache, [event.data.url])));
});

/** The kept copy of a page, marked as such so that its "saved on this phone" banner shows. */
async function keptPage(request) {
  const cached = await caches.match(request, MATCH);
  if (!cached) return Response.error();
  const text = (await cached.text()).replace('data-copy="live"', 'data-copy="kept"');
  return new Response(text, { status: cached.status, statusText: cached.statusText, headers: cached.headers });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const isPage = request.mode === 'navigate' && PAGE.test(url.pathname);
  const isShared = SHARED.includes(url.pathname) || url.pathname.startsWith('/static/icons/');
  if (!isPage && !isShared) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
        }
        return response;
      })
      .catch(() =>
        isPage ? keptPage(request) : caches.match(request, MATCH).then((cached) => cached || Response.error()),
      ),
  );
});

// Web Push (docs/pwa.md, "Notifications"): the day before a pick-up, a basket not collected. The handlers are the
// volunteer app's (pwa/src/push-worker.js, bundled in by pwa/build-sw.mjs: one copy); a notification without URL
// opens the member page this phone last kept.
self.addEventListener('push', onPush);

/** The member page this phone last kept (the start page of a notification without URL). */
async function lastPage() {
  const keys = await (await caches.open(CACHE)).keys();
  const pages = keys.filter((request) => PAGE.test(new URL(request.url).pathname));
  return pages.length ? pages[pages.length - 1].url : null;
}

self.addEventListener('notificationclick', (event) => {
  event.waitUntil(lastPage().then((fallback) => openNotification(event.notification, fallback)));
});
