// Shortages: the phone's side of sync/shortages.py, the same rule held to the same vectors
// (sync/vectors/shortages.json, run in tests/browser/test_pwa_data.py). A product delivered short for the whole
// distribution is shared among the orders no hand-over that gave something decided before the shortage (canonical
// order), in proportion to what they ordered, largest remainders first, ties to the smaller order id; each order's
// lines and total follow by pricing.js. Pure functions, no DOM, no storage.
import { lineDueCents, lineFullCents } from './pricing.js';
import { compareEvents } from './projection.js';

/**
 * `delivered` shared among orders (order id → quantity ordered): in proportion, rounded down, the rest one by one
 * to the largest remainders, ties to the smaller order id (sync.shortages.share).
 * @param {number} delivered
 * @param {Map<number, number>} ordered
 * @returns {Map<number, number>}
 */
export function share(delivered, ordered) {
  const total = [...ordered.values()].reduce((sum, quantity) => sum + quantity, 0);
  if (delivered >= total) return new Map(ordered);
  const given = new Map();
  for (const [orderId, quantity] of ordered) given.set(orderId, Math.floor((quantity * delivered) / total));
  let left = delivered - [...given.values()].reduce((sum, quantity) => sum + quantity, 0);
  const byRemainder = [...ordered.keys()].sort(
    (a, b) => ((ordered.get(b) * delivered) % total) - ((ordered.get(a) * delivered) % total) || a - b,
  );
  for (const orderId of byRemainder) {
    if (left <= 0) break;
    given.set(orderId, given.get(orderId) + 1);
    left -= 1;
  }
  return given;
}

/**
 * Product id → the last live shortage or substitution naming it, in canonical order: the one that counts
 * (sync.shortages.last_adjustments).
 * @param {object[]} live
 * @returns {Map<number, object>}
 */
export function lastAdjustments(live) {
  const last = new Map();
  const adjustments = live.filter((e) => e.type === 'shortage' || e.type === 'substitution').sort(compareEvents);
  for (const event of adjustments) last.set(event.payload.product_id, event);
  return last;
}

/**
 * Order id → its first hand-over that gave something (sync.shortages.first_given).
 * @param {object[]} live
 * @returns {Map<number, object>}
 */
export function firstGivenBy(live) {
  const firstGiven = new Map();
  for (const event of live) {
    if (event.type !== 'handover' || event.payload.outcome === 'refused') continue;
    const current = firstGiven.get(event.payload.order_id);
    if (!current || compareEvents(event, current) < 0) firstGiven.set(event.payload.order_id, event);
  }
  return firstGiven;
}

/**
 * What the shortages leave each order they touch (sync.shortages.shortages).
 * @param {object[]} orders the pack's orders (`members[].order`)
 * @param {object[]} live the events not voided, any order
 * @returns {Map<number, Array<{productId: number, ordered: number, receives: number, shortageId: string}>>}
 */
export function shortages(orders, live) {
  const last = new Map();
  for (const [productId, event] of lastAdjustments(live)) if (event.type === 'shortage') last.set(productId, event);
  const found = new Map();
  if (!last.size) return found;
  const firstGiven = firstGivenBy(live);
  for (const productId of [...last.keys()].sort((a, b) => a - b)) {
    const shortage = last.get(productId);
    const ordered = new Map();
    for (const order of orders) {
      const given = firstGiven.get(order.id);
      if (given && compareEvents(given, shortage) < 0) continue;
      for (const line of order.lines) if (line.product_id === productId) ordered.set(order.id, line.quantity);
    }
    for (const [orderId, receives] of share(shortage.payload.delivered, ordered)) {
      if (receives >= ordered.get(orderId)) continue;
      if (!found.has(orderId)) found.set(orderId, []);
      found.get(orderId).push({ productId, ordered: ordered.get(orderId), receives, shortageId: shortage.id });
    }
  }
  return found;
}

/**
 * The pack's order with what its shortages leave it (sync.shortages.shorted): each line short priced again, lines
 * left with nothing dropped, the total and the solidarity share following. `shorts` is kept on it for the screen.
 * @param {object} order the pack's order
 * @param {Array<{productId: number, ordered: number, receives: number}>} shorts
 * @returns {object} a new order (the pack's is not changed)
 */
export function shorted(order, shorts = []) {
  if (!shorts.length) return order;
  const receives = new Map(shorts.map((short) => [short.productId, short.receives]));
  const lines = [];
  for (const line of order.lines) {
    if (!receives.has(line.product_id)) lines.push(line);
    else if (receives.get(line.product_id) > 0) {
      const quantity = receives.get(line.product_id);
      const dueCents = lineDueCents(quantity, line.unit_price_cents, order.share_percent, line.sold_by ?? 'piece');
      lines.push({ ...line, quantity, due_cents: dueCents });
    }
  }
  const totalDue = lines.reduce((sum, line) => sum + line.due_cents, 0);
  const fullLeft = lines.reduce((sum, line) => sum + lineFullCents(line.quantity, line.unit_price_cents, line.sold_by), 0);
  return {
    ...order,
    lines,
    total_due_cents: totalDue,
    solidarity_share_cents: Math.max(0, fullLeft - totalDue),
    shorts,
  };
}


/**
 * What the shortages and substitutions give back to the accounts that paid the order before them
 * (sync.shortages.credit_back): the live payments for the order recorded before the last of `cutIds` paid `before`
 * in all, some of it from the accounts; what is beyond the total after them comes back, prepaid first, then the
 * allowance, never more than each gave. The rest (cash, cheque…) stays an overpayment.
 * @param {number} orderId
 * @param {string[]} cutIds the shortages and substitutions touching the order (`adjust`'s `cutIds`)
 * @param {number} totalAfterCents the order's total once adjusted
 * @param {object[]} live the events not voided, any order
 * @returns {{prepaid?: number, allowance?: number}}
 */
export function creditBack(orderId, cutIds, totalAfterCents, live) {
  const credits = {};
  if (!cutIds?.length) return credits;
  const wanted = new Set(cutIds);
  const cuts = live
    .filter((e) => (e.type === 'shortage' || e.type === 'substitution') && wanted.has(e.id))
    .sort(compareEvents);
  if (!cuts.length) return credits;
  const cut = cuts[cuts.length - 1];
  let before = 0;
  const taken = { prepaid: 0, allowance: 0 };
  const seen = new Set();
  for (const event of live) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    if (event.type !== 'payment' || event.payload.order_id !== orderId || compareEvents(event, cut) >= 0) continue;
    before += event.payload.amount_cents;
    taken.prepaid += event.payload.from_prepaid_cents ?? 0;
    taken.allowance += event.payload.from_allowance_cents ?? 0;
  }
  let excess = before - totalAfterCents;
  for (const kind of ['prepaid', 'allowance']) {
    const cents = Math.min(Math.max(excess, 0), taken[kind]);
    if (cents > 0) {
      credits[kind] = cents;
      excess -= cents;
    }
  }
  return credits;
}
