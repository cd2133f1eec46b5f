// The home screen's "Notifications" section: where push notifications stand on this phone for the volunteer signed
// in, and the button that turns them on or off (pwa/src/push.js). Both need the network, which the line says.
import { ApiError, NetworkError } from '../api.js';
import { reasonText, t } from '../i18n.js';
import { pushState, turnOff, turnOn } from '../push.js';
import * as store from '../store.js';
import { $, busy, currentScreen, say, warn } from '../ui/dom.js';

function usable(shift) {
  return shift && !shift.locked && !shift.ended && Date.parse(shift.validUntil) > Date.now();
}

function describe(error) {
  if (error instanceof NetworkError) return t('app.network_needed');
  if (error instanceof ApiError) return reasonText(error.reason, error.message);
  return t('app.error', { message: error.message });
}

let shown = null; // the shift the section was drawn for: the tap must reach the permission prompt without waiting

/** Draw the section from the browser's and the phone's state. */
export async function renderNotifications() {
  const shift = await store.getCurrentShift();
  shown = shift;
  const { state, owner } = await pushState(shift);
  const button = $('notify-toggle');
  const lines = [];
  if (state === 'other') lines.push(t('notify.state_other', { name: owner }));
  else lines.push(t(`notify.state_${state}`));
  const canAct = ['on', 'off', 'other'].includes(state) && usable(shift);
  if (canAct && !navigator.onLine) lines.push(t('notify.network'));
  if (['off', 'other'].includes(state) && !usable(shift)) lines.push(t('notify.sign_in'));
  $('notify-status').textContent = lines.join(' ');
  $('notify-status').classList.toggle('warning', state === 'denied');
  button.hidden = !canAct;
  button.disabled = !navigator.onLine;
  button.dataset.action = state === 'on' ? 'off' : 'on';
  button.textContent = state === 'on' ? t('notify.turn_off') : t('notify.turn_on');
  button.className = state === 'on' ? 'secondary outline' : 'secondary';
}

async function toggle(event) {
  const button = event.currentTarget;
  const shift = shown;
  if (!usable(shift)) return renderNotifications();
  try {
    if (button.dataset.action === 'off') {
      await busy(button, () => turnOff(shift));
      say(t('notify.turned_off'));
    } else {
      const result = await busy(button, () => turnOn(shift));
      if (result === 'on') say(t('notify.turned_on'));
      else warn(t(`notify.state_${result}`));
    }
  } catch (error) {
    warn(describe(error));
  }
  await renderNotifications();
}

/** Wire the section (once, at start): the button, and a redraw when the network comes or goes. */
export function setUpNotifications() {
  $('notify-toggle').addEventListener('click', toggle);
  const redraw = () => currentScreen() === 'home' && renderNotifications();
  window.addEventListener('online', redraw);
  window.addEventListener('offline', redraw);
}
