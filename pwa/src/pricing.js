// What a member owes: the phone's side of sync/pricing.py, for what the pack does not price: a partial hand-over,
// and the weight of a line sold by weight (the pack gives each whole line's due and the order's total, at the
// estimate). A line `paid_in_advance` (a season contract paid by cheques) is due 0 at the point. Pure functions, no DOM, no storage. Held to the same vectors as Python, sync/vectors/pricing.json
// (tests/browser/test_pwa_data.py runs them here).

/**
 * Full price of a line (`line_full_cents`): quantity × unit price, or for a line sold by weight ("kg") grams × price
 * per kg / 1000, rounded half up to the cent. Exact: every product stays far below 2^53.
 * @param {number} quantity pieces, or grams when `soldBy` is "kg"
 * @param {number} unitPriceCents
 * @param {string} [soldBy] "piece" (the default), "kg" or "litre"
 * @returns {number} cents
 */
export function lineFullCents(quantity, unitPriceCents, soldBy = 'piece') {
  if (soldBy === 'kg') return Math.floor((quantity * unitPriceCents + 500) / 1000);
  return quantity * unitPriceCents;
}

/**
 * What a member owes for `quantity` of a line at the order's share (`line_due_cents`): full price × share %,
 * rounded half up to the cent. Exact for every line a pack can hold: the product stays far below 2^53, and the
 * division by 100 of an integer below 2^53 never rounds across a whole number.
 * @param {number} quantity
 * @param {number} unitPriceCents
 * @param {number} sharePercent 0 to 100
 * @param {string} [soldBy]
 * @returns {number} cents
 */
export function lineDueCents(quantity, unitPriceCents, sharePercent, soldBy = 'piece') {
  return Math.floor((lineFullCents(quantity, unitPriceCents, soldBy) * sharePercent + 50) / 100);
}

/**
 * What each line of the order gives after the hand-over (sync.projection.handover_received): every line for
 * "all", the received ones for "partial", nothing for a refusal; a weighed line counts the grams weighed.
 * @param {object} order the pack's `members[].order`
 * @param {'all'|'partial'|'refused'} outcome
 * @param {Map<number, number>} [received] product id → quantity received (partial)
 * @param {Map<number, number>} [weighed] product id → grams weighed (lines sold by weight)
 * @returns {Map<number, number>} product id → quantity (grams for a weighed line)
 */
export function handedOver(order, outcome, received = new Map(), weighed = new Map(), substituted = new Map()) {
  const taken = new Map();
  if (outcome !== 'all' && outcome !== 'partial') return taken;
  for (const line of order.lines) {
    const quantity = substituted.has(line.product_id)
      ? substituted.get(line.product_id).quantity
      : outcome === 'all'
        ? line.quantity
        : (received.get(line.product_id) ?? 0);
    if (quantity <= 0) continue;
    const grams = line.sold_by === 'kg' && !substituted.has(line.product_id) ? weighed.get(line.product_id) : undefined;
    taken.set(line.product_id, grams ?? quantity);
  }
  return taken;
}

/**
 * What the member owes for the chosen hand-over, at the order's share: the pack's numbers for a whole order not
 * weighed, nothing for a refusal, and otherwise `order_due_cents` and `solidarity_share_cents` over what was
 * received (a line received whole takes the pack's due for it, which is the same rule).
 * @param {object} order the pack's `members[].order`
 * @param {'all'|'partial'|'refused'} outcome
 * @param {Map<number, number>} [received] product id → quantity received (partial); a line not in it: none
 * @param {Map<number, number>} [weighed] product id → grams weighed
 * @param {Map<number, {quantity: number, unit_price_cents: number}>} [substituted] product id → what was given in
 *   its place (sync.events.Handover `substituted`): that quantity at that full price
 * @returns {{dueCents: number, solidarityCents: number}}
 */
export function dueFor(order, outcome, received = new Map(), weighed = new Map(), substituted = new Map()) {
  if (outcome !== 'all' && outcome !== 'partial') return { dueCents: 0, solidarityCents: 0 };
  const taken = handedOver(order, outcome, received, weighed, substituted);
  const whole = order.lines.every((line) => taken.get(line.product_id) === line.quantity);
  if (outcome === 'all' && whole && !substituted.size) {
    return { dueCents: order.total_due_cents, solidarityCents: order.solidarity_share_cents };
  }
  let dueCents = 0;
  let fullCents = 0;
  for (const line of order.lines) {
    const quantity = taken.get(line.product_id) ?? 0;
    if (quantity <= 0 || line.paid_in_advance) continue; // paid before the day: due 0 here, no solidarity share
    const soldBy = line.sold_by ?? 'piece';
    const swap = substituted.get(line.product_id); // given as another product, at its price (substitutions.js)
    const price = swap ? swap.unit_price_cents : line.unit_price_cents;
    dueCents +=
      quantity === line.quantity && !swap ? line.due_cents : lineDueCents(quantity, price, order.share_percent, soldBy);
    fullCents += lineFullCents(quantity, price, soldBy);
  }
  return { dueCents, solidarityCents: Math.max(0, fullCents - dueCents) };
}

/**
 * A weight as typed at the point, in grams: "480", "480 g", "0,48 kg", "1.25kg"; a bare number with a decimal
 * comma or point is in kg ("1,2" is 1 200 g), a bare whole number in grams. Null when it is no weight, or not
 * between 1 g and 1 000 kg (what an event holds).
 * @param {string} text
 * @returns {number|null} grams
 */
export function parseGrams(text) {
  const match = /^\s*(\d+(?:[.,]\d*)?|[.,]\d+)\s*(g|gr|grammes?|kg|kilos?)?\s*$/i.exec(text ?? '');
  if (!match) return null;
  const [, number, unit] = match;
  const value = Number(number.replace(',', '.'));
  const inKg = unit ? /^k/i.test(unit) : /[.,]/.test(number);
  const grams = Math.round(inKg ? value * 1000 : value);
  if (!inKg && !Number.isInteger(value)) return null;
  return Number.isFinite(grams) && grams >= 1 && grams <= 1_000_000 ? grams : null;
}
