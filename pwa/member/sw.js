// Member pages: network first (a fresh next pick-up and balance), the last copy when offline (the ticket
// itself never changes until it is re-issued). Nothing else is cached; the admin and the API are never touched.
// At the end: the push notifications the member asked for on the page (pwa/member/page.js).
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

// Web Push (docs/pwa.md, "Notifications"): the day before a pick-up, a basket not collected. This file is served as
// it is (not bundled), so these lines are a copy of pwa/src/push-worker.js, the volunteer app's worker's; keep the
// two alike (tests/browser/test_push_browser.py runs the same cases on both). Chrome subscribes with
// userVisibleOnly: every push shows a notification, a generic one when the payload does not parse.
const ICON = '/static/icons/icon-192.png';
const GENERIC = { fr: 'Du nouveau : ouvrez Comptoir pour voir.', en: 'Something new: open Comptoir to see.' };
const text = (value) => (typeof value === 'string' ? value.trim() : '');

function sameOrigin(url) {
  if (!text(url)) return null;
  try {
    const absolute = new URL(url, self.location.origin);
    return absolute.origin === self.location.origin ? absolute.href : null;
  } catch {
    return null;
  }
}

self.addEventListener('push', (event) => {
  let message = null;
  try {
    message = event.data ? event.data.json() : null;
  } catch {
    // not JSON: the generic notification
  }
  if (!message || typeof message !== 'object' || Array.isArray(message)) message = {};
  const browserLang = self.navigator.language?.startsWith('en') ? 'en' : 'fr';
  const lang = ['fr', 'en'].includes(message.lang) ? message.lang : browserLang;
  const options = {
    body: text(message.body) || (text(message.title) ? '' : GENERIC[lang]),
    lang,
    icon: ICON,
    data: { url: sameOrigin(message.url) },
  };
  if (text(message.tag)) options.tag = text(message.tag);
  event.waitUntil(self.registration.showNotification(text(message.title) || 'Comptoir', options));
});

/** The member page this phone last kept (the start page of a notification without URL). */
async function lastPage() {
  const keys = await (await caches.open(CACHE)).keys();
  const pages = keys.filter((request) => /^\/m\/[\w-]+$/.test(new URL(request.url).pathname));
  return pages.length ? pages[pages.length - 1].url : null;
}

// The window already at the notification's URL (focused), else an open member page taken there, else a new window.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    (async () => {
      const scope = self.registration.scope;
      const url = event.notification.data?.url || null;
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const there = url && windows.find((client) => client.url === url);
      if (there) return there.focus();
      const controlled = await self.clients.matchAll({ type: 'window' });
      const ours = controlled.find((client) => client.focused) ?? controlled[0];
      if (ours && (!url || url.startsWith(scope))) {
        try {
          const shown = url ? await ours.navigate(url) : ours;
          if (shown) return await shown.focus();
        } catch {
          // the window went away meanwhile: open one
        }
      }
      const target = url || (await lastPage());
      return target ? self.clients.openWindow(target) : null;
    })(),
  );
});
