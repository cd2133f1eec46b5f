// What a member owes: the phone's side of sync/pricing.py, for the one case the pack does not price, a partial
// hand-over (the pack gives each whole line's due and the order's total). A line `paid_in_advance` (a season
// contract paid by cheques) is due 0 at the point. Pure functions, no DOM, no storage.
// Held to the same vectors as Python, sync/vectors/pricing.json (tests/browser/test_pwa_data.py runs them here).

/**
 * What a member owes for `quantity` of a line at the order's share (`line_due_cents`): full price × share %,
 * rounded half up to the cent. Exact for every line a pack can hold: the product stays far below 2^53, and the
 * division by 100 of an integer below 2^53 never rounds across a whole number.
 * @param {number} quantity
 * @param {number} unitPriceCents
 * @param {number} sharePercent 0 to 100
 * @returns {number} cents
 */
export function lineDueCents(quantity, unitPriceCents, sharePercent) {
  return Math.floor((quantity * unitPriceCents * sharePercent + 50) / 100);
}

/**
 * What the member owes for the chosen hand-over, at the order's share: the pack's numbers for a whole order,
 * nothing for a refusal, and for a partial hand-over `order_due_cents` and `solidarity_share_cents` over what was
 * received (a line received whole takes the pack's due for it, which is the same rule).
 * @param {object} order the pack's `members[].order`
 * @param {'all'|'partial'|'refused'} outcome
 * @param {Map<number, number>} [received] product id → quantity received (partial); a line not in it: none
 * @returns {{dueCents: number, solidarityCents: number}}
 */
export function dueFor(order, outcome, received = new Map()) {
  if (outcome === 'all') return { dueCents: order.total_due_cents, solidarityCents: order.solidarity_share_cents };
  if (outcome !== 'partial') return { dueCents: 0, solidarityCents: 0 };
  let dueCents = 0;
  let fullCents = 0;
  for (const line of order.lines) {
    const quantity = received.get(line.product_id) ?? 0;
    if (quantity <= 0 || line.paid_in_advance) continue; // paid before the day: due 0 here, no solidarity share
    dueCents +=
      quantity === line.quantity ? line.due_cents : lineDueCents(quantity, line.unit_price_cents, order.share_percent);
    fullCents += quantity * line.unit_price_cents;
  }
  return { dueCents, solidarityCents: Math.max(0, fullCents - dueCents) };
}
