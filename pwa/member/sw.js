// Member pages: network first (a fresh next pick-up and balance), the last copy when offline (the ticket
// itself never changes until it is re-issued). Nothing else is cached; the admin and the API are never touched.
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
