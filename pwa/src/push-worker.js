// Web Push in a service worker (docs/pwa.md, "Notifications"): show what the server pushed, and open the page it
// points to when the notification is tapped. Imported by both service workers, each bundled by pwa/build-sw.mjs:
// pwa/sw.js (the volunteer app's, /sw.js, scope /app/) and pwa/member/sw.js (the member pages', /m/sw.js, scope
// /m/); tests/browser/test_push_browser.py drives both through the same cases.
//
// A push's payload, as the server sends it (decrypted by the browser): {title, body, url, tag, lang}. Chrome
// subscribes with userVisibleOnly: every push must show a notification, so a payload that does not parse still
// shows a generic "Comptoir" one rather than nothing.

const ICON = '/static/icons/icon-192.png';
const GENERIC = {
  fr: 'Du nouveau : ouvrez Comptoir pour voir.',
  en: 'Something new: open Comptoir to see.',
};

function text(value) {
  return typeof value === 'string' ? value.trim() : '';
}

/** `url` as an absolute URL when it is on this origin (a path or an absolute URL), else null. */
export function sameOrigin(url) {
  if (!text(url)) return null;
  try {
    const absolute = new URL(url, self.location.origin);
    return absolute.origin === self.location.origin ? absolute.href : null;
  } catch {
    return null;
  }
}

/** The notification for a push event's data (a PushMessageData, or null for a push without payload). */
export function notificationFor(data) {
  let message = null;
  try {
    message = data ? data.json() : null;
  } catch {
    // not JSON: the generic notification below
  }
  if (!message || typeof message !== 'object' || Array.isArray(message)) message = {};
  const browserLang = self.navigator.language?.startsWith('en') ? 'en' : 'fr';
  const lang = ['fr', 'en'].includes(message.lang) ? message.lang : browserLang;
  const title = text(message.title) || 'Comptoir';
  const body = text(message.body) || (text(message.title) ? '' : GENERIC[lang]);
  const options = { body, lang, icon: ICON, data: { url: sameOrigin(message.url) } };
  if (text(message.tag)) options.tag = text(message.tag);
  return { title, options };
}

/** The `push` listener: always shows a notification (inside waitUntil, so the worker lives until it is shown). */
export function onPush(event) {
  const { title, options } = notificationFor(event.data);
  event.waitUntil(self.registration.showNotification(title, options));
}

/**
 * Tapping a notification: close it, then the window already at its URL if one is open (focused), else an open
 * window of this worker's scope taken there (when the URL is in the scope), else a new window. A notification
 * without URL brings back any open window of the scope, or opens `fallback` (the worker's start page, if any).
 * @param {Notification} notification
 * @param {string | null} fallback
 */
export async function openNotification(notification, fallback) {
  notification.close();
  const scope = self.registration.scope;
  const url = notification.data?.url || null;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const there = url && windows.find((client) => client.url === url);
  if (there) return there.focus();
  // navigate() works only on a window this worker controls (matchAll's default), and keeps the app's window in
  // the app only for a URL in its scope; a URL elsewhere (an admin page) opens a window of its own.
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
  const target = url || fallback;
  return target ? self.clients.openWindow(target) : null;
}
