// Going from screen to screen. Each screen module registers how to draw itself (`render`) and what to do when the
// volunteer leaves it (`leave`); `go()` draws the next screen, then shows it, and marks the tab bar. Screens do not
// import each other: they call go('scan'), go('member', …), so there is no import cycle.
import { $, currentScreen, quiet, show } from './dom.js';
import { state } from './state.js';

const screens = new Map();
/** Screens reached from the tab bar, in its order. */
export const TABS = ['home', 'scan', 'lists', 'cash'];
/** Screens with the tab bar and the sync bar (the others are before enrolment or sign-in). */
const WITH_BARS = new Set(['home', 'scan', 'member', 'lists', 'cash', 'share', 'receive']);

/**
 * @param {string} name the `data-screen` of its section
 * @param {{render?: (options: object) => Promise<void>|void, leave?: (next: string) => void}} handlers
 */
export function registerScreen(name, handlers) {
  screens.set(name, handlers);
}

let going = Promise.resolve();

/** Run a change of screen after those queued before it: one at a time. */
function queued(change) {
  const run = going.then(change);
  going = run.catch((error) => console.error('Comptoir: screen failed', error));
  return run;
}

/** Draw and show a screen; one change at a time (a second tap waits for the first screen to be drawn). */
export function go(name, options = {}) {
  return queued(() => goNow(name, options));
}

async function goNow(name, options) {
  const previous = currentScreen();
  if (previous !== name) screens.get(previous)?.leave?.(name);
  // A message belongs to the screen it was said on: the last member's confirmation ("monnaie à rendre : 1,24 €")
  // must never show above the next member or a refused ticket. Callers say the new screen's message after go().
  // What was said while the app was loading (enrolment) is for the first screen.
  if (previous !== name && previous !== 'loading') quiet();
  const handlers = screens.get(name);
  if (handlers && !options.redraw) handlers.lastOptions = options;
  await handlers?.render?.(options);
  show(name, { focus: options.focus ?? previous !== name });
  markTabs(name);
}

/**
 * Draw the screen on show again, without moving the focus: after new data (screens that hold a half-filled form
 * register `redraw: false` and are left alone), or with `force` after a change of language.
 */
export function redraw({ force = false } = {}) {
  // The screen on show once the changes queued before are done, not now: a redraw asked while the volunteer's tap
  // on another tab is still drawing must not bring the old screen back over it.
  return queued(() => {
    const name = currentScreen();
    const handlers = screens.get(name);
    if (!handlers?.render || (handlers.redraw === false && !force)) {
      markTabs(name);
      return undefined;
    }
    return goNow(name, { ...handlers.lastOptions, focus: false, redraw: true });
  });
}

/** The tab bar: shown on the app's working screens once a distribution is open; the current tab marked. */
export function markTabs(name = currentScreen()) {
  const bars = WITH_BARS.has(name);
  $('tabs').hidden = !bars || !state.distributionId;
  $('sync-bar').hidden = !bars;
  document.body.classList.toggle('with-tabs', !$('tabs').hidden);
  const tab = name === 'member' ? null : name;
  for (const button of $('tabs').querySelectorAll('button[data-tab]')) {
    if (button.dataset.tab === tab) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  }
}
