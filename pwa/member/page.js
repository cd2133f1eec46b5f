// The member page keeps working offline once opened: a small service worker keeps the last copy of it.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch(() => {});
}
