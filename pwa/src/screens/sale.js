// Extras sold at the point without a pre-order (docs/extras.md): on the member screen, the volunteer picks
// quantities from the pack's catalogue, sees the stock left, takes the payment, and one `sale` event is written
// offline (docs/sync-protocol.md, "sale"). The member pays their tier's share of each line (the one rule,
// pricing.js); the allowance pays only the lines of eligible products, the rest is paid by a method. The stock
// left is the pack's minus what this phone and the phones it pulled from sold: a sale beyond it is refused here,
// and two offline phones that sell the last units both become an `oversold` conflict on the server.
import { recordMany } from '../events.js';
import { t } from '../i18n.js';
import { fullName } from '../packs.js';
import { lineDueCents, parseGrams } from '../pricing.js';
import { distributionView } from '../projection.js';
import { ask, busy, h } from '../ui/dom.js';
import { clearErrors, fieldError, liveFieldError } from '../ui/field-error.js';
import { centsForInput, formatCents, formatGrams, parseCents } from '../ui/format.js';
import { recordingShift, state } from '../ui/state.js';
import { DETAILS, MAX_DETAILS } from './payment.js';

/** The methods the rest of a sale may be paid by (the allowance has its own field). */
const REST_METHODS = ['cash', 'cheque', 'card', 'transfer', 'prepaid', 'local_currency'];

function money(cents) {
  return formatCents(cents, state.index?.pack.network.currency ?? 'EUR');
}

/**
 * Product id → pieces (grams for a product sold by weight) sold at the distribution by the sales this phone knows
 * (its own and the pulled ones), not voided: what the stock left is counted from.
 * @param {{events: Array<{event: object}>, voided: Set<string>}} view
 * @returns {Map<number, number>}
 */
export function soldByProduct(view) {
  const sold = new Map();
  for (const { event } of view.events) {
    if (event.type !== 'sale' || view.voided.has(event.id)) continue;
    for (const line of event.payload.lines) sold.set(line.product_id, (sold.get(line.product_id) ?? 0) + (line.grams ?? line.quantity));
  }
  return sold;
}

/**
 * What the allowance may pay of a basket: the due of the lines of eligible products.
 * @param {Array<{due: number, eligible: boolean}>} lines
 * @returns {number} cents
 */
export function eligibleCents(lines) {
  return lines.reduce((sum, line) => (line.eligible ? sum + line.due : sum), 0);
}

/**
 * The sale disclosure of the member screen (or, for `member` null, of the scan screen: an anonymous buyer, who pays
 * the full price on the spot, from no account), or null when the pack has no extras.
 * @param {object|null} member the pack's member, or null for an anonymous buyer
 * @param {{available: {prepaid: number, allowance: number}, recorded: (message: string) => Promise<void>}} options
 * @returns {Promise<HTMLElement|null>}
 */
export async function saleSection(member, { available, recorded }) {
  const extras = state.index.pack.extras ?? [];
  if (!extras.length) return null;
  const network = state.index.pack.network;
  const enabled = network.payment_methods ?? [];
  const methods = REST_METHODS.filter((method) => enabled.includes(method) && (member || method !== 'prepaid'));
  const allowanceOn = Boolean(member) && enabled.includes('allowance') && available.allowance > 0;
  const share = member ? member.tier.share_percent : 100;
  const id = member ? 'sale' : 'anon-sale'; // both screens are in the page at once: their ids differ
  const sold = soldByProduct(await distributionView(state.distributionId));
  const left = (extra) => (extra.stock === null ? null : Math.max(0, extra.stock - (sold.get(extra.product_id) ?? 0)));

  const form = h('form', { id: `${id}-form`, novalidate: true });
  const rows = extras.map((extra) => {
    // A product sold by weight is weighed: its field takes a weight, read as the hand-over's weighing reads it
    // (pricing.js `parseGrams`), its price is per kg and its stock in grams.
    const kg = extra.sold_by === 'kg';
    const input = h('input', {
      id: `${id}-qty-${extra.product_id}`,
      type: 'text',
      inputmode: kg ? 'decimal' : 'numeric',
      autocomplete: 'off',
      class: kg ? 'weight-input' : 'qty-input',
      placeholder: kg ? t('weight.placeholder') : '0',
    });
    const remaining = left(extra);
    const about = [
      kg
        ? t('sale.price_kg', { amount: money(lineDueCents(1000, extra.unit_price_cents, share, 'kg')) })
        : t('sale.price', { amount: money(lineDueCents(1, extra.unit_price_cents, share)) }),
      remaining === null ? t('sale.no_limit') : kg ? t('sale.left', { count: formatGrams(remaining) }) : t('sale.left', { count: remaining }),
      extra.allowance_eligible ? null : t('sale.not_eligible'),
    ].filter(Boolean);
    const row = h(
      'div',
      { class: 'field sale-line' },
      h('label', { for: input.id }, extra.unit ? `${extra.name} (${extra.unit})` : extra.name),
      h('small', { id: `${id}-about-${extra.product_id}`, class: 'muted' }, about.join(' · ')),
      input,
    );
    return { extra, input, row, remaining };
  });
  const total = h('output', { id: `${id}-total`, class: 'amount', 'aria-live': 'polite' });
  const allowance = h('input', {
    id: `${id}-allowance`,
    type: 'text',
    inputmode: 'decimal',
    autocomplete: 'off',
    placeholder: centsForInput(0),
  });
  const allowanceHint = h('small', { id: `${id}-allowance-hint`, class: 'muted' });
  const allowanceField = allowanceOn
    ? h('div', { class: 'field' }, h('label', { for: allowance.id }, t('sale.from_allowance')), allowance, allowanceHint)
    : null;
  const choices = methods.map((method) =>
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'radio', name: `${id}-method`, value: method, checked: method === methods[0] }),
      t(`sale.method.${method}`),
    ),
  );
  const details = h('input', { id: `${id}-details`, type: 'text', autocomplete: 'off', maxlength: MAX_DETAILS });
  const detailsLabel = h('label', { for: details.id });
  // A cheque is made out to the producer of what it pays when they are one (pack `producers`), else to the network.
  const payeeHint = h('small', { id: `${id}-payee`, class: 'muted' });
  const detailsField = h('div', { class: 'field' }, detailsLabel, details, payeeHint);
  const producers = new Map((state.index.pack.producers ?? []).map((producer) => [producer.id, producer]));
  function payee(lines) {
    const ids = new Set(lines.filter((line) => line.quantity).map((line) => line.extra.producer_id ?? null));
    const [only] = ids;
    return ids.size === 1 && producers.has(only) ? only : null;
  }
  const error = h('p', { id: `${id}-error`, class: 'message message-error', role: 'alert', hidden: true });
  const confirm = h('button', { type: 'submit', id: `${id}-confirm` }, t('sale.confirm'));
  form.append(
    ...[
      ...rows.map(({ row }) => row),
      h('p', { class: 'to-collect' }, h('span', {}, t('sale.total')), ' ', total),
      allowanceField,
      h('fieldset', {}, h('legend', {}, t(member ? 'sale.rest_by' : 'sale.paid_by')), choices),
      detailsField,
      error,
      confirm,
    ].filter(Boolean), // no allowance field for an anonymous buyer (append would write "null")
  );
  const summary = h('summary', {}, t(member ? 'sale.open' : 'sale.open_anonymous'));
  const section = h('details', { id, class: 'disclosure' }, summary, form);

  const method = () => form.querySelector(`input[name=${id}-method]:checked`)?.value ?? methods[0];
  function basket() {
    return rows
      .map(({ extra, input, remaining }) => {
        const typed = input.value.trim();
        if (extra.sold_by === 'kg') {
          // One weighed piece of `grams` (sync.events.SaleLine), priced by the kg rule; null: no weight read.
          const grams = typed === '' ? 0 : parseGrams(typed);
          const due = grams ? lineDueCents(grams, extra.unit_price_cents, share, 'kg') : 0;
          return { extra, input, remaining, quantity: grams === null ? null : grams ? 1 : 0, grams, due, eligible: extra.allowance_eligible };
        }
        const quantity = typed === '' ? 0 : /^[0-9]{1,6}$/.test(typed) ? Number(typed) : null;
        const due = quantity ? lineDueCents(quantity, extra.unit_price_cents, share) : 0;
        return { extra, input, remaining, quantity, due, eligible: extra.allowance_eligible };
      });
  }
  /** What is wrong with a line's quantity, or null. */
  function quantityProblem(line) {
    if (line.extra.sold_by === 'kg') {
      if (line.grams === null) return t('weight.bad', { product: line.extra.name });
      if (line.remaining !== null && line.grams > line.remaining) return t('sale.beyond_stock_weight', { weight: formatGrams(line.remaining) });
      return null;
    }
    if (line.quantity === null) return t('sale.bad_quantity');
    if (line.remaining !== null && line.quantity > line.remaining) return t('sale.beyond_stock', { count: line.remaining });
    return null;
  }
  /** What is wrong with the allowance's part (`cents`, null: unreadable), or null. */
  function allowanceProblem(cents, eligible) {
    if (cents === null) return t('pay.bad_amount', { label: t('sale.from_allowance') });
    if (cents > eligible) return t('sale.allowance_not_eligible', { amount: money(eligible) });
    if (cents > available.allowance) return t('sale.allowance_short', { amount: money(available.allowance) });
    return null;
  }
  function update() {
    const lines = basket();
    const due = lines.reduce((sum, line) => sum + line.due, 0);
    total.textContent = money(due);
    const cap = Math.min(eligibleCents(lines), available.allowance);
    // What the allowance may pay of these extras, and apart what it holds: the cap is not the balance.
    allowanceHint.textContent = t('sale.allowance_cap', { amount: money(cap), balance: money(available.allowance) });
    // A mistake is said under its field as it is typed, and goes as soon as it is mended.
    for (const line of lines) liveFieldError(line.input, quantityProblem(line));
    if (allowanceOn && allowance.value.trim()) {
      liveFieldError(allowance, allowanceProblem(parseCents(allowance.value), eligibleCents(lines)));
    } else if (allowanceOn) liveFieldError(allowance, null);
    const chosen = method();
    detailsField.hidden = !DETAILS[chosen];
    if (DETAILS[chosen]) detailsLabel.textContent = t(`pay.${chosen}.details`);
    const payeeId = chosen === 'cheque' ? payee(lines) : null;
    payeeHint.hidden = chosen !== 'cheque';
    payeeHint.textContent = t('sale.cheque_to', {
      payee: payeeId === null ? t('pay.payee_network') : producers.get(payeeId).payee,
    });
  }
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  update();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    error.hidden = true;
    const lines = basket();
    for (const line of lines) {
      const problem = quantityProblem(line);
      if (problem) fieldError(line.input, problem);
    }
    const chosenLines = lines.filter((line) => line.quantity);
    const due = chosenLines.reduce((sum, line) => sum + line.due, 0);
    const eligible = eligibleCents(chosenLines);
    let fromAllowance = 0;
    if (allowanceOn) {
      fromAllowance = parseCents(allowance.value);
      const problem = allowanceProblem(fromAllowance, eligible);
      if (problem) fieldError(allowance, problem);
    }
    const rest = due - (fromAllowance ?? 0);
    const chosen = method();
    if (rest > 0 && chosen === 'prepaid' && rest > available.prepaid) {
      error.textContent = t('sale.prepaid_short', { amount: money(available.prepaid) });
      error.hidden = false;
    }
    const reference = DETAILS[chosen] && rest > 0 ? details.value.trim() : '';
    if (rest > 0 && DETAILS[chosen]?.required && !reference) fieldError(details, t(`pay.${chosen}.details_missing`));
    if (!chosenLines.length && !form.querySelector('[aria-invalid=true]')) {
      error.textContent = t('sale.nothing');
      error.hidden = false;
    }
    const [first] = form.querySelectorAll('[aria-invalid=true]');
    if (first) {
      first.focus();
      return;
    }
    if (!error.hidden) return;
    if (!(await recordingShift())) {
      error.textContent = t('member.no_shift');
      error.hidden = false;
      return;
    }
    const what = member
      ? t('sale.what', { amount: money(due), name: fullName(member) })
      : t('sale.what_anonymous', { amount: money(due) });
    if (!(await ask({ title: t('sale.question'), text: `${what}.`, yes: t('sale.yes') }))) return;
    const fromPrepaid = chosen === 'prepaid' ? rest : 0;
    const payload = {
      household_id: member ? member.id : null,
      lines: chosenLines
        .map((line) => ({
          product_id: line.extra.product_id,
          quantity: line.quantity,
          unit_price_cents: line.extra.unit_price_cents,
          ...(line.grams ? { grams: line.grams } : {}), // left out for a piece (sync.events.SaleLine `grams`)
        }))
        .sort((a, b) => a.product_id - b.product_id),
      share_percent: share,
      amount_cents: due,
      // The accounts' parts name the account when they cover it all; a sale due nothing is "paid" in cash.
      method: rest > 0 ? chosen : fromAllowance > 0 ? 'allowance' : 'cash',
      method_details: reference ? reference.slice(0, MAX_DETAILS) : null,
      from_prepaid_cents: fromPrepaid,
      from_allowance_cents: fromAllowance,
      payee_producer_id: rest > 0 && chosen === 'cheque' ? payee(chosenLines) : null,
    };
    if (payload.method === 'prepaid' && !fromPrepaid) payload.method = 'cash';
    try {
      await busy(confirm, () => recordMany([{ type: 'sale', payload }], { distributionId: state.distributionId }));
    } catch (caught) {
      error.textContent = t('member.record_failed', { message: caught.message });
      error.hidden = false;
      return;
    }
    await recorded(t('sale.recorded', { what }));
  });
  return section;
}
