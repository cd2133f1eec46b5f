// DOM helpers for the volunteer app's screens: element lookup, a tiny element builder (no innerHTML, no inline
// style: the CSP allows neither), screen switching, the status and alert lines, a confirmation dialog.
import { t } from '../i18n.js';

export const $ = (id) => document.getElementById(id);

/**
 * Build an element: `h('button', {type: 'button', class: 'outline', onclick}, 'Text', child…)`.
 * Props: `class`, `text`, `dataset`, `on<event>` listeners, `hidden`, booleans (set as empty attributes when true),
 * anything else as an attribute. Children: nodes or strings; null/false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'text') element.textContent = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key === 'hidden') element.hidden = true;
    else if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  return append(element, ...children);
}

/**
 * Append children to `parent` as `h` does: nodes or strings, null/undefined/false skipped (a bare DOM `append`
 * writes them as the words "null", "undefined", "false"). Returns `parent`.
 */
export function append(parent, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

/** The screens of the shell: every `<section data-screen="…">` in index.html. */
export function screens() {
  return [...document.querySelectorAll('section[data-screen]')].map((section) => section.dataset.screen);
}

let current = 'loading';
const listeners = new Set();

/** The screen on show. */
export function currentScreen() {
  return current;
}

/** Call `callback(screen, previous)` whenever another screen is shown. */
export function onScreen(callback) {
  listeners.add(callback);
  return () => listeners.delete(callback);
}

/**
 * Show one screen, hide the others. With `focus`, the screen's first heading takes the focus (keyboard and screen
 * reader users land on the new screen, not on the button that led there).
 */
export function show(screen, { focus = false } = {}) {
  const previous = current;
  current = screen;
  for (const section of document.querySelectorAll('section[data-screen]')) {
    section.hidden = section.dataset.screen !== screen;
  }
  if (focus) {
    const heading = document.querySelector(`section[data-screen="${screen}"] h1`);
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }
  if (previous !== screen) window.scrollTo(0, 0);
  for (const callback of listeners) callback(screen, previous);
}

/** A calm line at the top of the page (role=status): what just happened. Empty text hides it. */
export function say(text) {
  $('alert').hidden = true;
  $('message').textContent = text;
  $('message').hidden = !text;
}

/** A line that needs attention (role=alert). Empty text hides it. */
export function warn(text) {
  $('message').hidden = true;
  $('alert').textContent = text;
  $('alert').hidden = !text;
}

/** Hide both lines, and forget what they said (it was about another screen or another member). */
export function quiet() {
  for (const line of [$('message'), $('alert')]) {
    line.hidden = true;
    line.textContent = '';
  }
}

/**
 * Ask a yes/no question in the shell's confirmation dialog. Resolves true for `yes`, false for `no` or Escape.
 * @param {{title: string, text?: string, yes: string, no?: string}} question
 * @returns {Promise<boolean>}
 */
export function ask({ title, text = '', yes, no = t('confirm.no') }) {
  const dialog = $('confirm-dialog');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-text').hidden = !text;
  $('confirm-yes').textContent = yes;
  $('confirm-no').textContent = no;
  return new Promise((resolve) => {
    const finish = (answer) => {
      $('confirm-yes').removeEventListener('click', onYes);
      $('confirm-no').removeEventListener('click', onNo);
      dialog.removeEventListener('close', onClose);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const onYes = () => finish(true);
    const onNo = () => finish(false);
    const onClose = () => finish(false);
    $('confirm-yes').addEventListener('click', onYes);
    $('confirm-no').addEventListener('click', onNo);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    $('confirm-no').focus();
  });
}

/** Mark a button busy while `work()` runs (disabled, aria-busy), whatever happens. */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
