// The one-tap form that takes a payment at the point for something other than the basket: the membership fee
// (membership.js) or the SSA contribution (contribution.js). Money handed over (cash, cheque with its number,
// card…), recorded as a `payment` event naming the household and its `purpose` (docs/sync-protocol.md, `payment`).
import { recordMany } from '../events.js';
import { t } from '../i18n.js';
import { busy, h } from '../ui/dom.js';
import { recordingShift, state } from '../ui/state.js';
import { MAX_DETAILS } from './payment.js';

/** Methods such a payment is taken by at the point: money handed over, not an account (in the network's order). */
const FEE_METHODS = ['cash', 'cheque', 'card', 'transfer', 'local_currency'];

/** The payload of a payment for `purpose` ('membership', 'contribution') of `amountCents`. */
export function feePayload(member, { purpose, amountCents, method, details }) {
  const text = details?.trim();
  return {
    household_id: member.id,
    amount_cents: amountCents,
    method,
    method_details: text ? text.slice(0, MAX_DETAILS) : null,
    purpose,
  };
}

/** The payment of `purpose` for `member` among the events this phone knows (not voided), or null. */
export function feePaid(member, view, purpose) {
  return (
    view.events
      .map(({ event }) => event)
      .find(
        (event) =>
          event.type === 'payment' &&
          event.payload.purpose === purpose &&
          event.payload.household_id === member.id &&
          !view.voided.has(event.id),
      ) ?? null
  );
}

/**
 * The form (null when the network accepts no method such a payment is taken by). Ids and names start with
 * `prefix` ('membership', 'contribution'); the labels come from `${prefix}.method`, `${prefix}.cheque_number` and
 * `${prefix}.take` ({amount}); the method names from `membership.method_*`.
 * @param {object} member the pack's member
 * @param {{prefix: string, purpose: string, amountCents: number, money: (cents: number) => string,
 *   recorded: () => void}} options `recorded` is called once the payment is recorded (the screen redraws)
 */
export function feeForm(member, { prefix, purpose, amountCents, money, recorded }) {
  const methods = (state.index.pack.network.payment_methods ?? []).filter((method) => FEE_METHODS.includes(method));
  if (!methods.length) return null;
  const method = h(
    'select',
    { id: `${prefix}-method`, name: `${prefix}-method` },
    methods.map((value) => h('option', { value }, t(`membership.method_${value}`))),
  );
  const details = h('input', {
    id: `${prefix}-details`,
    name: `${prefix}-details`,
    type: 'text',
    maxlength: MAX_DETAILS,
    autocomplete: 'off',
  });
  const detailsRow = h(
    'div',
    { class: 'field', hidden: true },
    h('label', { for: `${prefix}-details` }, t(`${prefix}.cheque_number`)),
    details,
  );
  const error = h('p', { class: 'message message-error', role: 'alert', hidden: true, id: `${prefix}-error` });
  const take = h('button', { type: 'submit', id: `${prefix}-take` }, t(`${prefix}.take`, { amount: money(amountCents) }));
  method.addEventListener('change', () => {
    detailsRow.hidden = method.value !== 'cheque';
  });
  const form = h(
    'form',
    { class: 'membership', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: `${prefix}-method` }, t(`${prefix}.method`)), method),
    detailsRow,
    error,
    take,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    details.removeAttribute('aria-invalid');
    details.removeAttribute('aria-describedby');
    if (method.value === 'cheque' && !details.value.trim()) {
      details.setAttribute('aria-invalid', 'true');
      details.setAttribute('aria-describedby', `${prefix}-error`);
      error.textContent = t('pay.cheque.details_missing');
      error.hidden = false;
      details.focus();
      return;
    }
    if (!(await recordingShift())) {
      error.textContent = t('member.no_shift');
      error.hidden = false;
      return;
    }
    const payload = feePayload(member, {
      purpose,
      amountCents,
      method: method.value,
      details: method.value === 'cheque' ? details.value : '',
    });
    try {
      await busy(take, () => recordMany([{ type: 'payment', payload }], { distributionId: state.distributionId }));
    } catch (caught) {
      error.textContent = t('member.record_failed', { message: caught.message });
      error.hidden = false;
      return;
    }
    recorded();
  });
  return form;
}
