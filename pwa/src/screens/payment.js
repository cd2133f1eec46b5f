// From what the volunteer typed on the member screen to the events the protocol wants (docs/sync-protocol.md,
// `payment`). Pure functions: no DOM, no storage.
//
// One payment event settles `amount_cents` of an order; `from_prepaid_cents` and `from_allowance_cents` of it come
// from the household's accounts and the rest is paid by `method`. So the accounts ride on the first event paid by
// another method (cash, cheque…); each further method (a second cheque, a card) is an event of its own; when the
// accounts pay everything, the one event names the account method. The network's solidarity share for what was
// handed over goes on the first event only, so that it is counted once. What is owed is pricing.js's `dueFor`.

import { lineDueCents } from '../pricing.js';

/** Account methods: their amount comes out of the household's balance. */
export const ACCOUNT_METHODS = ['prepaid', 'allowance'];
/** The methods the app knows how to take, in the protocol's order (sync.vocabulary.PAYMENT_METHODS). */
export const METHODS = ['cash', 'cheque', 'card', 'transfer', 'prepaid', 'allowance', 'local_currency'];
/** Methods whose reference the volunteer types, and whether it is required. */
export const DETAILS = { cheque: { required: true }, card: { required: false }, transfer: { required: false } };
/** The longest method_details the protocol accepts. */
export const MAX_DETAILS = 200;

/**
 * The payment payloads for an order.
 * @param {{orderId: number, parts: Array<{method: string, cents: number, details?: string|null, payee?: number|null}>,
 *   prepaidCents?: number, allowanceCents?: number, solidarityCents?: number}} paid `parts`: the non-account
 *   methods in the order typed (zero amounts are skipped)
 * @returns {object[]} payloads for `record('payment', …)`, possibly none
 */
export function paymentPayloads({ orderId, parts, prepaidCents = 0, allowanceCents = 0, solidarityCents = 0 }) {
  const others = parts.filter((part) => part.cents > 0);
  const payloads = [];
  if (!others.length) {
    if (prepaidCents + allowanceCents > 0) {
      payloads.push({
        order_id: orderId,
        amount_cents: prepaidCents + allowanceCents,
        method: allowanceCents > 0 ? 'allowance' : 'prepaid',
        from_prepaid_cents: prepaidCents,
        from_allowance_cents: allowanceCents,
      });
    }
  } else {
    others.forEach((part, i) => {
      const accounts = i === 0 ? { prepaid: prepaidCents, allowance: allowanceCents } : { prepaid: 0, allowance: 0 };
      const details = part.details?.trim();
      const payload = {
        order_id: orderId,
        amount_cents: part.cents + accounts.prepaid + accounts.allowance,
        method: part.method,
        method_details: details ? details.slice(0, MAX_DETAILS) : null,
        from_prepaid_cents: accounts.prepaid,
        from_allowance_cents: accounts.allowance,
      };
      // A cheque names the producer it is made out to (written only when there is one: older events keep their hash).
      if (part.method === 'cheque' && part.payee) payload.payee_producer_id = part.payee;
      payloads.push(payload);
    });
  }
  if (payloads.length && solidarityCents > 0) payloads[0].solidarity_cents = solidarityCents;
  return payloads;
}

/**
 * How an amount is taken from the household's accounts when they cover it in one tap: the solidarity allowance
 * first (it is there for the baskets), then the prepaid account.
 * @param {number} cents what is owed
 * @param {{prepaid: number, allowance: number}} available what each account still holds today
 * @returns {{prepaid: number, allowance: number}}
 */
export function accountSplit(cents, available) {
  const allowance = Math.min(cents, Math.max(0, available.allowance));
  const prepaid = Math.min(cents - allowance, Math.max(0, available.prepaid));
  return { prepaid, allowance };
}

/**
 * "One cheque per producer": what each producer of the order's lines is owed, in the order of the lines (by product
 * id), lines without a producer last (a cheque to the network). The amounts add up to the order's total due: each
 * is the sum of its lines' `due_cents`, as the order's total is; a line sold by weight and weighed counts its weight
 * at the order's share (pricing.js `lineDueCents`, as `dueFor` does), not its estimate.
 * @param {{lines: Array<{producer_id?: number|null, due_cents: number}>, share_percent?: number}} order a pack order
 * @param {Array<{id: number, name: string, payee: string}>} [producers] the pack's producers
 * @param {Map<number, number>} [weighed] product id → grams weighed
 * @returns {Array<{producerId: number|null, payee: string|null, cents: number}>} nothing owed: no group
 */
export function chequeGroups(order, producers = [], weighed = new Map()) {
  const byId = new Map(producers.map((producer) => [producer.id, producer]));
  const groups = new Map();
  for (const line of order.lines) {
    const id = byId.has(line.producer_id) ? line.producer_id : null;
    if (!groups.has(id)) groups.set(id, { producerId: id, payee: id === null ? null : byId.get(id).payee, cents: 0 });
    const grams = line.sold_by === 'kg' && !line.paid_in_advance ? weighed.get(line.product_id) : undefined;
    groups.get(id).cents +=
      grams === undefined ? line.due_cents : lineDueCents(grams, line.unit_price_cents, order.share_percent, 'kg');
  }
  const found = [...groups.values()].filter((group) => group.cents > 0);
  return [...found.filter((g) => g.producerId !== null), ...found.filter((g) => g.producerId === null)];
}

/**
 * The cheques this phone took at the distribution and holds, to hand over by payee: payments by cheque (their
 * cheque part) and credits by cheque, not voided.
 * @param {{events: Array<{event: object, own: boolean}>, voided: Set<string>}} view the distribution's view
 * @param {Array<{id: number, name: string, payee: string}>} [producers] the pack's producers
 * @returns {Array<{producerId: number|null, payee: string|null, count: number, cents: number, numbers: string[]}>}
 */
export function chequesToHandOver(view, producers = []) {
  const byId = new Map(producers.map((producer) => [producer.id, producer]));
  const groups = new Map();
  for (const { event, own } of view.events) {
    if (!own || view.voided.has(event.id) || !['payment', 'top_up', 'sale'].includes(event.type)) continue;
    const p = event.payload;
    if (p.method !== 'cheque') continue;
    const cents = p.amount_cents - (p.from_prepaid_cents ?? 0) - (p.from_allowance_cents ?? 0);
    if (cents <= 0) continue;
    const id = byId.has(p.payee_producer_id) ? p.payee_producer_id : null;
    if (!groups.has(id)) {
      groups.set(id, { producerId: id, payee: id === null ? null : byId.get(id).payee, count: 0, cents: 0, numbers: [] });
    }
    const group = groups.get(id);
    group.count += 1;
    group.cents += cents;
    if (p.method_details) group.numbers.push(p.method_details);
  }
  const found = [...groups.values()];
  found.sort((a, b) => (a.payee === null) - (b.payee === null) || (a.payee ?? '').localeCompare(b.payee ?? ''));
  return found;
}
