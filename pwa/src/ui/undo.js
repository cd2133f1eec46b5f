// "Annuler la dernière action": this phone's last action at the open distribution, voided. An action is what one
// confirmation recorded: a hand-over with its payments (consecutive events of one order), a cash count, a refused
// scan. Undoing records a `void` per event (newest first, all in one transaction); each undo goes one action further
// back. Voids themselves are not offered (a void of a void would restore the event: the admin can do that).
import { recordMany } from '../events.js';
import { distributionView, undoableEvents } from '../projection.js';
import { t, tn } from '../i18n.js';
import { fullName } from '../packs.js';
import { ask, busy, h, say, warn } from './dom.js';
import { formatCents, formatClock } from './format.js';
import { state } from './state.js';

const ORDER_TYPES = new Set(['handover', 'payment']);

/** This phone's last action not undone at the open distribution: `{events, text}` (events newest first), or null. */
export async function lastAction() {
  if (!state.distributionId) return null;
  const events = (await undoableEvents(state.distributionId)).filter((event) => event.type !== 'void');
  if (!events.length) return null;
  const [first] = events;
  let group = [first];
  if (ORDER_TYPES.has(first.type) && first.payload.order_id) {
    group = [];
    for (const event of events) {
      if (!ORDER_TYPES.has(event.type) || event.payload.order_id !== first.payload.order_id) break;
      group.push(event);
    }
  }
  return { events: group, text: describe(group) };
}

function memberName(orderId) {
  const member = state.index?.memberByOrder(orderId);
  return member ? fullName(member) : t('undo.someone');
}

/** A product's name as the pack's orders give it. */
export function productName(productId) {
  for (const member of state.index?.pack.members ?? []) {
    const line = member.order.lines.find((item) => item.product_id === productId);
    if (line) return line.product_name;
  }
  const extra = (state.index?.pack.extras ?? []).find((item) => item.product_id === productId);
  if (extra) return extra.name;
  return t('undo.product', { id: productId });
}

/** In words: `Remise à Élodie Martin (tout remis), 14,28 € payés, à 17:42`. */
export function describe(events) {
  const currency = state.index?.pack.network.currency ?? 'EUR';
  const [newest] = events;
  const at = formatClock(newest.device_time);
  const handover = events.find((event) => event.type === 'handover');
  const paid = events.filter((event) => event.type === 'payment').reduce((sum, e) => sum + e.payload.amount_cents, 0);
  if (handover) {
    const name = memberName(handover.payload.order_id);
    const outcome = t(`outcome.${handover.payload.outcome}`);
    return paid
      ? tn('undo.handover_paid', paid / 100, { name, outcome, paid: formatCents(paid, currency), at })
      : t('undo.handover', { name, outcome, at });
  }
  if (newest.type === 'payment') {
    return t('undo.payment', { name: memberName(newest.payload.order_id), paid: formatCents(paid, currency), at });
  }
  if (newest.type === 'cash_count') {
    return t(`undo.cash_${newest.payload.kind}`, { total: formatCents(newest.payload.total_cents, currency), at });
  }
  if (newest.type === 'top_up') {
    const member = state.index?.member(newest.payload.household_id);
    const name = member ? fullName(member) : t('undo.someone');
    return t('undo.top_up', { name, amount: formatCents(newest.payload.amount_cents, currency), at });
  }
  if (newest.type === 'sale') {
    return t('undo.sale', { amount: formatCents(newest.payload.amount_cents, currency), at });
  }
  if (newest.type === 'shortage') {
    return t('undo.shortage', { product: productName(newest.payload.product_id), at });
  }
  if (newest.type === 'substitution') {
    const { product_id: productId, by_product_id: byProductId } = newest.payload;
    return t('undo.substitution', { product: productName(productId), by: productName(byProductId), at });
  }
  if (newest.type === 'scan_refused') {
    return t('undo.scan_refused', { reason: t(`ticket.${newest.payload.reason}`), at });
  }
  return t('undo.other', { at });
}

/** Record a void for each event (given newest first), all in one transaction. Resolves once they are written. */
export async function voidEvents(events) {
  const voids = events.map((event) => ({ type: 'void', payload: { event_id: event.id, reason: t('undo.reason') } }));
  await recordMany(voids, { distributionId: state.distributionId });
}

/** This phone's events of an order that still count (hand-overs and payments), newest first: what "correct" voids. */
export async function orderEvents(orderId) {
  const { events, voided } = await distributionView(state.distributionId);
  return events
    .filter((known) => known.own && !voided.has(known.event.id))
    .map((known) => known.event)
    .filter((event) => ORDER_TYPES.has(event.type) && event.payload.order_id === orderId)
    .sort((a, b) => b.seq - a.seq);
}

/** Ask, then undo the last action. Resolves true when something was undone. */
export async function undoLast(button) {
  const action = await lastAction();
  if (!action) return false;
  const yes = await ask({ title: t('undo.question'), text: action.text, yes: t('undo.yes'), no: t('undo.no') });
  if (!yes) return false;
  try {
    await busy(button, () => voidEvents(action.events));
  } catch (error) {
    warn(t('undo.failed', { message: error.message }));
    return false;
  }
  say(t('undo.done', { action: action.text }));
  return true;
}

/** Fill every `.undo-slot` of the shell: the last action in words and the button to undo it. */
export async function renderUndo() {
  const action = await lastAction();
  for (const slot of document.querySelectorAll('.undo-slot')) {
    // Drawn again only when the last action changed: a button replaced under the keyboard's focus loses it.
    const shown = action ? action.text : '';
    if (slot.dataset.shown === shown && (slot.childElementCount > 0) === Boolean(action)) continue;
    slot.dataset.shown = shown;
    slot.replaceChildren();
    if (!action) continue;
    const button = h('button', { type: 'button', class: 'secondary outline undo-button' }, t('undo.button'));
    button.addEventListener('click', async () => {
      if (await undoLast(button)) await renderUndo();
    });
    slot.append(h('p', { class: 'muted' }, t('undo.last', { action: action.text })), button);
  }
  return action;
}

