// Substitutions: the phone's side of sync/substitutions.py, the same rule held to the same vectors
// (sync/vectors/shortages.json, run in tests/browser/test_pwa_data.py). A product replaced by another for the whole
// distribution: the orders no hand-over that gave something decided before it (canonical order) receive the
// substitute for the same quantity, at its full price and the order's share (pricing.js); the last shortage or
// substitution of a product counts. A line keeps its product id (what every hand-over names) and says
// `by_product_id`. Pure functions, no DOM, no storage.
import { lineDueCents, lineFullCents } from './pricing.js';
import { compareEvents } from './projection.js';
import { firstGivenBy, lastAdjustments, shortages, shorted } from './shortages.js';

/**
 * Order id → the substitutions that replace its lines (sync.substitutions.substitutions).
 * @param {object[]} orders the pack's orders
 * @param {object[]} live the events not voided
 * @returns {Map<number, Array<{productId: number, byProductId: number, unitPriceCents: number, eventId: string}>>}
 */
export function substitutions(orders, live) {
  const counting = [...lastAdjustments(live).values()].filter((e) => e.type === 'substitution');
  const found = new Map();
  if (!counting.length) return found;
  const firstGiven = firstGivenBy(live);
  counting.sort((a, b) => a.payload.product_id - b.payload.product_id);
  for (const event of counting) {
    const { product_id: productId, by_product_id: byProductId, unit_price_cents: unitPriceCents } = event.payload;
    for (const order of orders) {
      const given = firstGiven.get(order.id);
      if (given && compareEvents(given, event) < 0) continue;
      if (!order.lines.some((line) => line.product_id === productId)) continue;
      if (!found.has(order.id)) found.set(order.id, []);
      found.get(order.id).push({ productId, byProductId, unitPriceCents, eventId: event.id });
    }
  }
  return found;
}

/**
 * A line given as the substitute (sync.substitutions.swapped_line): `quantity` of it (default the line's), at the
 * swap's price and the order's share; a line paid in advance stays due 0.
 */
export function swappedLine(line, swap, sharePercent, quantity = line.quantity) {
  const soldBy = line.sold_by ?? 'piece';
  const dueCents = line.paid_in_advance ? 0 : lineDueCents(quantity, swap.unitPriceCents, sharePercent, soldBy);
  return { ...line, quantity, due_cents: dueCents, unit_price_cents: swap.unitPriceCents, by_product_id: swap.byProductId };
}

/**
 * The pack's order with its lines replaced by `swaps`, the total and the solidarity share following; `swaps` is
 * kept on it for the screen.
 */
export function substituted(order, swaps = []) {
  if (!swaps.length) return order;
  const bySwap = new Map(swaps.map((swap) => [swap.productId, swap]));
  const lines = order.lines.map((line) =>
    bySwap.has(line.product_id) ? swappedLine(line, bySwap.get(line.product_id), order.share_percent) : line,
  );
  return withTotals({ ...order, lines, swaps });
}

function withTotals(order) {
  const totalDue = order.lines.reduce((sum, line) => sum + line.due_cents, 0);
  const full = order.lines
    .filter((line) => !line.paid_in_advance)
    .reduce((sum, line) => sum + lineFullCents(line.quantity, line.unit_price_cents, line.sold_by), 0);
  const dueAtPoint = order.lines.filter((line) => !line.paid_in_advance).reduce((sum, line) => sum + line.due_cents, 0);
  return { ...order, total_due_cents: totalDue, solidarity_share_cents: Math.max(0, full - dueAtPoint) };
}

/**
 * Order id → the order after the substitutions and shortages (sync.substitutions.adjust), for the orders they touch:
 * `{order, swaps, shorts, cutIds}`.
 * @param {object[]} orders the pack's orders
 * @param {object[]} live the events not voided
 */
export function adjust(orders, live) {
  const swaps = substitutions(orders, live);
  const shorts = shortages(orders, live);
  const found = new Map();
  for (const order of orders) {
    const mine = swaps.get(order.id) ?? [];
    const short = shorts.get(order.id) ?? [];
    if (!mine.length && !short.length) continue;
    const adjusted = shorted(substituted(order, mine), short);
    found.set(order.id, {
      order: { ...adjusted, swaps: mine, shorts: short },
      swaps: mine,
      shorts: short,
      cutIds: [...short.map((s) => s.shortageId), ...mine.map((w) => w.eventId)],
    });
  }
  return found;
}

/**
 * The day's products, by name: those of the pack's orders and (unless `withExtras` is false) of its extras, by id,
 * each with its name, full price (the first order line's, else the extra's), how it is sold, its producer and
 * whether an allowance may pay for it. What may be short or replaced (the orders' products), what may replace it
 * (all), and the default price a substitution proposes.
 * @param {object} pack
 * @param {{withExtras?: boolean}} [options]
 * @returns {Map<number, {name: string, unitPriceCents: number, soldBy: string, producerId: number|null, allowanceEligible: boolean}>}
 */
export function catalogue(pack, { withExtras = true } = {}) {
  const found = new Map();
  for (const member of pack.members) {
    for (const line of member.order.lines) {
      if (found.has(line.product_id)) continue;
      found.set(line.product_id, {
        name: line.product_name,
        unitPriceCents: line.unit_price_cents,
        soldBy: line.sold_by ?? 'piece',
        producerId: line.producer_id ?? null,
        allowanceEligible: line.allowance_eligible !== false,
      });
    }
  }
  for (const extra of withExtras ? (pack.extras ?? []) : []) {
    if (found.has(extra.product_id)) continue;
    found.set(extra.product_id, {
      name: extra.name,
      unitPriceCents: extra.unit_price_cents,
      soldBy: extra.sold_by ?? 'piece',
      producerId: extra.producer_id ?? null,
      allowanceEligible: extra.allowance_eligible !== false,
    });
  }
  return new Map([...found].sort((a, b) => a[1].name.localeCompare(b[1].name)));
}

/**
 * The order's lines given as another product named as that product (its name, producer and allowance rule, from
 * `known`, the pack's `catalogue`), `replaces` keeping the name ordered: what the screens show and the cheques follow.
 */
export function named(order, known) {
  if (!order.lines.some((line) => line.by_product_id)) return order;
  const lines = order.lines.map((line) => {
    const product = line.by_product_id ? known.get(line.by_product_id) : null;
    if (!product) return line;
    return {
      ...line,
      product_name: product.name,
      replaces: line.product_name,
      producer_id: product.producerId,
      allowance_eligible: product.allowanceEligible,
    };
  });
  return { ...order, lines };
}
