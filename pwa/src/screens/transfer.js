// Phone to phone (docs/pwa.md, "Phone to phone"), reached from the scan screen's « Autres téléphones »:
// « Partager avec un autre téléphone » shows this phone's events of the distribution as an animated QR code, one
// frame every FRAME_MS; « Partager la distribution avec un téléphone qui ne l'a pas » shows its pack the same way;
// « Recevoir d'un autre téléphone » (there, and on the home screen for a phone with no distribution yet) opens the
// camera (scanner.js, the ticket scanner's camera and decoder), shows the progress, and stores the events that were
// new here as if pulled, or keeps the pack if its signature holds (exchange.js) and then leads to the sender's events.
import {
  acceptEvents,
  acceptPackEnvelope,
  actionsOf,
  eventsEnvelope,
  lackedBy,
  peerPackEnvelope,
} from '../exchange.js';
import { t, tn } from '../i18n.js';
import { TransferError } from '../envelope.js';
import { PackRefused } from '../packs.js';
import { feedback, startScanner } from '../scanner.js';
import { $, warn } from '../ui/dom.js';
import { go, registerScreen } from '../ui/nav.js';
import { refreshIndex, setActive, state } from '../ui/state.js';

/** The QR and fountain-code libraries (transfer.js, qrcode-generator), loaded when a transfer screen opens. */
const libraries = () => Promise.all([import('../transfer.js'), import('qrcode-generator')]);

/** No new part for this long: the receiver says parts are missing. */
const STALLED_MS = 4000;

// Sharing

let showing = null; // {timer, frames: number}

/** Draw one QR text on the canvas, a whole number of pixels per module, with the quiet zone. */
function drawQr(qrcode, canvas, text) {
  const code = qrcode(0, 'M');
  code.addData(text, 'Alphanumeric');
  code.make();
  const modules = code.getModuleCount();
  const quiet = 4;
  const scale = Math.max(2, Math.floor(720 / (modules + 2 * quiet)));
  const size = (modules + 2 * quiet) * scale;
  if (canvas.width !== size) canvas.width = canvas.height = size;
  const context = canvas.getContext('2d');
  context.fillStyle = '#fff';
  context.fillRect(0, 0, size, size);
  context.fillStyle = '#000';
  for (let row = 0; row < modules; row += 1) {
    for (let col = 0; col < modules; col += 1) {
      if (code.isDark(row, col)) context.fillRect((col + quiet) * scale, (row + quiet) * scale, scale, scale);
    }
  }
}

/** Keep the screen on while it shows the code (Screen Wake Lock, where the browser has it; nothing otherwise). */
async function keepAwake(current) {
  try {
    const lock = await navigator.wakeLock?.request('screen');
    if (showing === current) current.lock = lock;
    else lock?.release();
  } catch {
    // refused (battery saver, a hidden page): the volunteer keeps the screen on by hand
  }
}

function stopSharing() {
  if (showing) clearInterval(showing.timer);
  showing?.lock?.release().catch(() => {});
  showing = null;
  const hooks = globalThis.comptoirTestHooks;
  if (hooks) delete hooks.shareStep;
}

/** The last phone this one received from, and what it holds (its envelope's `positions`): to send it only what it lacks. */
let lastSender = null; // {distributionId, from, name, positions}

/**
 * What the share screen says it shows: the distribution's pack, or its events (for `to`: what that phone lacks),
 * counted in actions as the receiver will count them.
 */
function shareSummary(envelope, parts, to) {
  if (envelope.kind === 'pack') {
    const members = tn('dist.members', state.index?.pack.members?.length ?? 0);
    const point = state.index?.pack.point?.name ?? '';
    return tn('share.parts', parts, { summary: t('share.pack_summary', { point, members }) });
  }
  const summary = tn('share.parts', parts, { summary: tn('share.summary', actionsOf(envelope)) });
  return to ? `${t('share.for', { name: to })} ${summary}` : summary;
}

/**
 * Hide the last transfer's code and words before anything is awaited: a camera must never read a frame of the
 * previous transfer (the pack, another phone's share) while the new one is being prepared.
 */
function clearShare() {
  const canvas = $('share-qr');
  canvas.hidden = true;
  canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
  delete canvas.dataset.frame;
  $('share-summary').textContent = '';
  $('share-summary').hidden = true;
}

/** Show `words` under the code, or alone (no code to show). */
function shareWords(words) {
  $('share-summary').textContent = words;
  $('share-summary').hidden = false;
}

/**
 * Share everything held of the distribution, or (`held`, a receiver's positions) only what that receiver lacks, or
 * (`pack`) the distribution's pack as the server signed it, for a phone that does not have it.
 */
async function renderShare({ held, to, pack = false } = {}) {
  stopSharing();
  clearShare();
  if (!state.distributionId) {
    shareWords(t('lists.no_distribution'));
    return;
  }
  const [{ encodeTransfer, FRAME_MS }, { default: qrcode }] = await libraries();
  const envelope = pack ? await peerPackEnvelope(state.distributionId) : await eventsEnvelope(state.distributionId, held);
  if (!envelope) {
    shareWords(t('share.no_pack'));
    return;
  }
  // What another phone lacks, when it lacks nothing: a code would carry nothing.
  if (to && envelope.kind === 'events' && envelope.events.length === 0) {
    shareWords(t('share.nothing_lacking', { name: to }));
    return;
  }
  const sender = await encodeTransfer(envelope);
  const canvas = $('share-qr');
  shareWords(shareSummary(envelope, sender.parts, to));
  const current = { timer: null, frames: 0, lock: null };
  showing = current;
  keepAwake(current);
  const step = () => {
    if (showing !== current) return -1;
    drawQr(qrcode, canvas, sender.nextFrame());
    current.frames += 1;
    canvas.dataset.frame = String(current.frames);
    return current.frames;
  };
  step();
  canvas.hidden = false;
  // Tests step the frames one by one (a screenshot each) instead of the clock: `comptoirTestHooks.shareStep()`.
  const hooks = globalThis.comptoirTestHooks;
  if (hooks) hooks.shareStep = step;
  else current.timer = setInterval(step, FRAME_MS);
}

// Receiving

let receiving = null; // {receiver, scanner, lastPartAt, stallTimer, done}
/** The screen « Arrêter » goes back to: the one « Recevoir » was opened from (home, for a phone with no pack). */
let receiveFrom = 'scan';
/**
 * The distribution whose pack was just received: « Ouvrir la distribution … » opens it, « Recevoir ses actions »
 * opens it and reads the sender's events (the pack holds none).
 */
let receivedPack = null; // {distributionId}

function showProgress(percent) {
  $('receive-progress').value = percent;
  $('receive-percent').textContent = t('receive.percent', { percent });
}

function refusal(reason) {
  return t(`receive.refused_${reason}`);
}

function stopReceiving() {
  if (!receiving) return;
  clearInterval(receiving.stallTimer);
  receiving.scanner?.stop();
  receiving = null;
  $('receive-video').hidden = true;
}

async function finish(current) {
  current.done = true;
  clearInterval(current.stallTimer);
  current.scanner?.stop();
  $('receive-video').hidden = true;
  $('receive-missing').hidden = true;
  try {
    const envelope = await current.receiver.result();
    if (envelope.kind === 'pack') {
      await receivePack(envelope);
      return;
    }
    if (envelope.distribution_id !== state.distributionId) throw new TransferError('other_distribution');
    if (envelope.kind !== 'events') throw new TransferError('unsupported_kind');
    const { actions } = await acceptEvents(envelope);
    feedback('read');
    const from = envelope.from_name ?? envelope.from;
    const words = actions ? tn('receive.done', actions, { from }) : t('receive.nothing_new', { from });
    $('receive-result').textContent = words;
    $('receive-result').hidden = false;
    warn(''); // a refusal read before this transfer no longer stands
    lastSender = { distributionId: envelope.distribution_id, name: from, positions: envelope.positions };
    // Offered only when the sender lacks something this phone holds: its positions came with what it sent.
    if ((await lackedBy(envelope.distribution_id, envelope.positions)) > 0) {
      $('receive-answer').textContent = t('receive.answer', { name: from });
      $('receive-answer').hidden = false;
    }
  } catch (error) {
    feedback('refused');
    if (error instanceof PackRefused) {
      warn(error.message);
    } else {
      const reason = error instanceof TransferError ? error.reason : 'corrupt';
      if (!(error instanceof TransferError)) console.error('Comptoir: transfer not taken', error);
      warn(refusal(reason));
    }
  } finally {
    if (receiving === current) receiving = null;
    $('receive-again').hidden = false;
  }
}

/** A `pack` envelope: keep the pack if it holds (throws PackRefused or TransferError), say so, offer to open it. */
async function receivePack(envelope) {
  const { changed, record } = await acceptPackEnvelope(envelope);
  if (record.distributionId === state.distributionId) await refreshIndex();
  feedback('read');
  const from = envelope.from_name ?? envelope.from;
  const words = changed ? t('receive.pack_done', { from }) : t('receive.pack_unchanged', { from });
  $('receive-result').textContent = words;
  $('receive-result').hidden = false;
  warn(''); // a refusal read before this transfer no longer stands
  const point = record.pack.point?.name ?? '';
  receivedPack = { distributionId: record.distributionId };
  $('receive-open-pack').textContent = t('receive.open_pack', { point });
  $('receive-open-pack').hidden = false;
  // The pack knows no event of the day: a member handed over on the sender still shows « à remettre » here until
  // its events are read too (a double hand-over otherwise).
  $('receive-pack-events').textContent = t('receive.pack_events', { from });
  $('receive-pack-events').hidden = false;
  $('receive-pack-events-open').hidden = false;
}

function read(current, text) {
  if (current.done) return;
  const before = current.receiver.parts;
  const answer = current.receiver.receive(text);
  if (answer.state === 'refused') {
    warn(refusal(answer.reason));
    if (current.receiver.failure) finish(current);
    return;
  }
  if (current.receiver.parts > before) {
    current.lastPartAt = performance.now();
    $('receive-missing').hidden = true;
    warn('');
  }
  showProgress(answer.percent);
  if (answer.state === 'complete') finish(current);
}

/** No new part for STALLED_MS: say which share of the parts is missing. */
function checkStalled(current) {
  if (current.done || performance.now() - current.lastPartAt < STALLED_MS) return;
  const { decoder } = current.receiver;
  const expected = decoder.expectedPartCount();
  const got = decoder.receivedPartIndexes().length;
  $('receive-missing').textContent = expected
    ? t('receive.missing', { got, expected, percent: current.receiver.percent })
    : t('receive.nothing_read');
  $('receive-missing').hidden = false;
}

/** Open the receive screen (`from`: the screen « Arrêter » goes back to), or read again (no options). */
function renderReceive({ from } = {}) {
  if (from) receiveFrom = from;
  return startReceiving();
}

async function startReceiving() {
  stopReceiving();
  $('receive-result').hidden = true;
  $('receive-missing').hidden = true;
  $('receive-again').hidden = true;
  $('receive-answer').hidden = true;
  $('receive-open-pack').hidden = true;
  $('receive-pack-events').hidden = true;
  $('receive-pack-events-open').hidden = true;
  receivedPack = null;
  // Without a distribution open, only a pack can be taken: say how the other phone shows it.
  $('receive-instruction').textContent = state.distributionId
    ? t('receive.instruction')
    : t('receive.instruction_pack');
  showProgress(0);
  const [{ TransferReceiver }] = await libraries();
  const current = { receiver: new TransferReceiver(), scanner: null, lastPartAt: performance.now(), done: false };
  receiving = current;
  $('receive-video').hidden = false;
  try {
    const scanner = await startScanner($('receive-video'), {
      onRead(text, done) {
        done();
        read(current, text);
      },
      onError(reason) {
        if (reason === 'camera_ended') warn(t(`camera.${reason}`));
      },
      sound: false,
      vibration: false,
    });
    if (receiving !== current) {
      scanner.stop();
      return;
    }
    current.scanner = scanner;
  } catch (error) {
    receiving = null;
    $('receive-video').hidden = true;
    warn(t(`camera.${error.reason ?? 'camera_unavailable'}`));
    return;
  }
  current.stallTimer = setInterval(() => checkStalled(current), 500);
}

/** Wire the controls (once, at start). */
export function setUpTransfer() {
  // The menu closes behind the volunteer: back on the scan screen, it is folded again.
  const open = (screen) => (event) => {
    event.currentTarget.closest('details').open = false;
    go(screen);
  };
  $('share-open').addEventListener('click', open('share'));
  $('share-pack-open').addEventListener('click', (event) => {
    event.currentTarget.closest('details').open = false;
    go('share', { pack: true });
  });
  $('receive-open').addEventListener('click', (event) => {
    event.currentTarget.closest('details').open = false;
    go('receive', { from: 'scan' });
  });
  // On the home screen: a phone with no distribution yet takes one from a phone that has it.
  $('receive-home-open').addEventListener('click', () => go('receive', { from: 'home' }));
  $('share-stop').addEventListener('click', () => go('scan'));
  $('receive-stop').addEventListener('click', () => go(receiveFrom));
  $('receive-again').addEventListener('click', startReceiving);
  $('receive-open-pack').addEventListener('click', async () => {
    if (!receivedPack) return;
    await setActive(receivedPack.distributionId);
    go('scan');
  });
  // The pack's distribution opened, then the same screen reads the sender's events of it (« Arrêter »: the Scanner).
  $('receive-pack-events-open').addEventListener('click', async () => {
    if (!receivedPack) return;
    await setActive(receivedPack.distributionId);
    go('receive', { from: 'scan' });
  });
  // Then this phone shows the other one what it lacks (its positions came with what it sent).
  $('receive-answer').addEventListener('click', () => {
    if (lastSender?.distributionId !== state.distributionId) return;
    go('share', { held: lastSender.positions, to: lastSender.name });
  });
}

registerScreen('share', { render: renderShare, leave: stopSharing, redraw: false });
registerScreen('receive', { render: renderReceive, leave: stopReceiving, redraw: false });
