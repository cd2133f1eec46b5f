// The scan screen: the camera (started by a tap, so the beep may sound), the torch where the camera has one, the
// queue of reads, and the two ways without a ticket, always on this screen: the manual code and the search by
// name. A read ticket is checked offline against the pack (signature, revocation list, member); a refused one is
// recorded as a `scan_refused` event before the screen says so.
import { record } from '../events.js';
import { t, tn } from '../i18n.js';
import { normaliseManualCode } from '../packs.js';
import { distributionView, keptView } from '../projection.js';
import { feedback, startScanner } from '../scanner.js';
import { $, busy, h, onScreen, say } from '../ui/dom.js';
import { formatCents, formatSlot } from '../ui/format.js';
import { memberChoice } from '../ui/member-choice.js';
import { registerScreen } from '../ui/nav.js';
import { state } from '../ui/state.js';
import { renderUndo } from '../ui/undo.js';
import { contributionStatus } from './contribution.js';
import { membershipStatus } from './membership.js';
import { openMember, openRefused, whenFree } from './member.js';
import { saleSection } from './sale.js';

/**
 * What happens to a ticket's text, from the camera (or any other reader): check it against the open pack, then the
 * member screen or the refused screen. `done` is called when the volunteer has finished with it.
 * Once the screen is drawn, a `comptoir:scan-screen` performance mark carries the scanner's `info` (`decodedAt`,
 * `decodeMs`) and `ok`: scan to screen is `mark.startTime - detail.decodedAt + detail.decodeMs` (bench/pwa.py).
 * @param {string} text
 * @param {() => void} [done]
 * @param {{decodedAt: number, decodeMs: number}} [info] from the scanner
 */
export async function handleTicket(text, done = () => {}, info = null) {
  await whenFree();
  if (!state.index) {
    done();
    return;
  }
  const result = await state.index.checkTicket(text);
  const mark = () => info && performance.mark('comptoir:scan-screen', { detail: { ...info, ok: result.ok } });
  if (result.ok) {
    clearSearch();
    await openMember(result.member, { done, from: 'scan', ticket: result.ticket });
    mark();
    return;
  }
  let recorded = true;
  try {
    await record(
      'scan_refused',
      { reason: result.reason, member_id: result.memberId ?? null },
      { distributionId: state.distributionId },
    );
  } catch (error) {
    console.error('Comptoir: refused scan not recorded', error);
    recorded = false;
  }
  feedback('refused');
  await openRefused(result, { done, from: 'scan', recorded });
  mark();
}

// The camera.

function showQueue() {
  const queued = state.scanner?.queued ?? 0;
  $('scan-queue').textContent = queued ? tn('scan.queued', queued) : '';
  $('scan-queue').hidden = !queued;
}

function showCamera() {
  const on = Boolean(state.scanner);
  $('camera-toggle').textContent = on ? t('scan.camera_stop') : t('scan.camera_start');
  $('scan-video').hidden = !on;
  const torch = $('torch');
  torch.hidden = !(on && state.scanner.torchSupported);
  torch.textContent = state.scanner?.torch ? t('scan.torch_off') : t('scan.torch_on');
  showQueue();
}

function cameraError(reason) {
  $('camera-error').textContent = reason ? t(`camera.${reason}`) : '';
  $('camera-error').hidden = !reason;
}

async function startCamera() {
  cameraError(null);
  $('scan-video').hidden = false;
  try {
    state.scanner = await startScanner($('scan-video'), {
      onRead(text, done, info) {
        showQueue();
        const finished = () => {
          done();
          showQueue();
        };
        handleTicket(text, finished, info);
      },
      onError(reason) {
        cameraError(reason);
        if (reason === 'camera_ended') stopCamera();
      },
    });
  } catch (error) {
    state.scanner = null;
    cameraError(error.reason ?? 'camera_unavailable');
  }
  showCamera();
}

function stopCamera() {
  state.scanner?.stop();
  state.scanner = null;
  showCamera();
}

async function toggleTorch() {
  if (!state.scanner) return;
  await state.scanner.setTorch(!state.scanner.torch);
  showCamera();
}

// The manual code and the search by name.

function findCode(event) {
  event.preventDefault();
  const typed = $('code-input').value;
  const error = $('code-error');
  error.hidden = true;
  if (!state.index) return;
  if (!normaliseManualCode(typed)) {
    error.textContent = t('scan.code_invalid');
    error.hidden = false;
    return;
  }
  const member = state.index.memberByCode(typed);
  if (!member) {
    error.textContent = t('scan.code_unknown');
    error.hidden = false;
    return;
  }
  $('code-input').value = '';
  clearSearch();
  openMember(member, { from: 'scan' });
}

function statusWords(view, member) {
  const status = view.orders.get(member.order.id);
  if (status?.outcome === 'all' || status?.outcome === 'partial') return t(`lists.status_${status.outcome}`);
  if (status?.outcome === 'refused') return t('lists.status_refused');
  const amount = formatCents(member.order.total_due_cents, state.index.pack.network.currency);
  const words = t('lists.to_pay', { amount });
  // Membership and contribution (screens/membership.js, contribution.js): said in the results too, before the
  // member is even opened.
  return [
    words,
    membershipStatus(member, view).due ? t('membership.due_list') : null,
    contributionStatus(member, view).dueCents ? t('contribution.due_list') : null,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** A member is opened (scan, code or search): an earlier name and its results do not stay for the next one. */
function clearSearch() {
  $('search-input').value = '';
  $('search-results').replaceChildren();
  $('search-empty').hidden = true;
}

const SHOWN = 20; // results at most: more means the volunteer should type more of the name

/** Show who the typed name finds; `scroll` (as the volunteer types, not on a redraw): bring them into view. */
async function search({ scroll = false } = {}) {
  const list = $('search-results');
  const query = $('search-input').value;
  const note = $('search-empty');
  if (!state.index || !query.trim()) {
    list.replaceChildren();
    note.hidden = true;
    return;
  }
  const index = state.index;
  const { members, total } = index.find(query, SHOWN);
  const view = await distributionView(state.distributionId);
  if ($('search-input').value !== query) return; // typed on meanwhile
  list.replaceChildren(
    ...members.map((member) =>
      memberChoice(member, index, statusWords(view, member), () => {
        clearSearch();
        openMember(member, { from: 'scan' });
      }),
    ),
  );
  // The shell's note under the results: nobody, or more than shown.
  note.textContent = total ? tn('scan.search_more', total - members.length) : t('scan.no_result');
  note.hidden = total === members.length && total > 0;
  if (scroll) showResults();
}

/** When the first results (three at most) or the note are below the tab bar, scroll the field to the top: the
 * volunteer sees what they typed and whom it found without a swipe. */
function showResults() {
  const results = [...$('search-results').children].slice(0, 3);
  const last = results.at(-1) ?? $('search-empty');
  const tabs = $('tabs');
  const bottom = tabs.hidden ? window.innerHeight : tabs.getBoundingClientRect().top;
  if (last.hidden || last.getBoundingClientRect().bottom <= bottom) return;
  $('search-form').scrollIntoView({ block: 'start' });
}

/** The hint under the search field (added here: the shell's form has only the label and the field). */
function addSearchHelp() {
  const input = $('search-input');
  const help = h('small', { id: 'search-help', dataset: { i18n: 'scan.search_help' } }, t('scan.search_help'));
  input.after(help);
  input.setAttribute('aria-describedby', 'search-help');
}

async function render() {
  const pack = state.index?.pack;
  $('scan-distribution').textContent = pack
    ? t('scan.distribution', {
        point: pack.point.name,
        slot: formatSlot(pack.distribution.starts_at, pack.distribution.ends_at),
      })
    : '';
  // The member screen's view of the day's events, read now rather than when a member is opened (projection.js).
  if (state.distributionId) keptView(state.distributionId).catch(() => {});
  if (state.scanner && !state.scanner.scanning) state.scanner.resume();
  showCamera();
  await search();
  await renderAnonymousSale();
  await renderUndo();
}

/** Extras sold to someone who is not a member (screens/sale.js): drawn again unless a sale is being typed. */
async function renderAnonymousSale() {
  const holder = $('anonymous-sale');
  if (holder.querySelector('details[open]')) return;
  const section = state.index ? await saleSection(null, { available: { prepaid: 0, allowance: 0 }, recorded: sold }) : null;
  holder.replaceChildren(...(section ? [section] : []));
}

async function sold(message) {
  $('anonymous-sale').replaceChildren();
  await renderAnonymousSale();
  await renderUndo();
  say(message);
}

/** Away from the scan and member screens the camera goes off; reads still queued are kept (paused), not lost. */
function park(screen) {
  if (screen === 'scan' || screen === 'member' || !state.scanner) return;
  if (state.scanner.pending > 0) state.scanner.pause();
  else stopCamera();
}

/** Wire the screen's controls (once, at start). */
export function setUpScan() {
  $('camera-toggle').addEventListener('click', (event) =>
    busy(event.currentTarget, () => (state.scanner ? stopCamera() : startCamera())),
  );
  $('torch').addEventListener('click', toggleTorch);
  $('code-form').addEventListener('submit', findCode);
  $('search-form').addEventListener('submit', (event) => event.preventDefault());
  $('search-input').addEventListener('input', () => search({ scroll: true }));
  addSearchHelp();
  onScreen(park);
}

registerScreen('scan', { render });
