// Membership (adhésion) on the member screen: whether the member's yearly fee is to be renewed, and taking it at
// the point as a payment whose purpose is 'membership' (docs/sync-protocol.md, `payment`; docs/accounts.md,
// "Membership"). The pack says whether the fee covers the distribution's day (`membership_due`); a fee taken today
// by this phone or one it pulled from settles it. A warning, not a refusal, unless the network requires it
// (`network.membership_required`): then the member screen offers no hand-over until the fee is taken.
import { recordMany } from '../events.js';
import { t } from '../i18n.js';
import { busy, h } from '../ui/dom.js';
import { formatCents } from '../ui/format.js';
import { recordingShift, state } from '../ui/state.js';
import { MAX_DETAILS } from './payment.js';

/** Methods a fee is taken by at the point: money handed over, not an account (in the network's order). */
const FEE_METHODS = ['cash', 'cheque', 'card', 'transfer', 'local_currency'];

function money(cents) {
  return formatCents(cents, state.index?.pack.network.currency ?? 'EUR');
}

/**
 * The member's membership today, from the pack and the events this phone knows.
 * @param {object} member the pack's member
 * @param {{events: Array<{event: object}>, voided: Set<string>}} view distributionView's answer
 * @returns {{due: boolean, required: boolean, feeCents: number, paid: object|null}} `due`: still to be paid
 *   today; `paid`: the fee payment taken today (not voided), if any
 */
export function membershipStatus(member, view) {
  const network = state.index?.pack.network ?? {};
  const feeCents = network.membership_fee_cents ?? 0;
  const paid =
    view.events
      .map(({ event }) => event)
      .find(
        (event) =>
          event.type === 'payment' &&
          event.payload.purpose === 'membership' &&
          event.payload.household_id === member.id &&
          !view.voided.has(event.id),
      ) ?? null;
  const due = member.membership_due === true && feeCents > 0 && !paid;
  return { due, required: due && network.membership_required === true, feeCents, paid };
}

/** The payload of a fee taken at the point. */
export function membershipPayload(member, { feeCents, method, details }) {
  const text = details?.trim();
  return {
    household_id: member.id,
    amount_cents: feeCents,
    method,
    method_details: text ? text.slice(0, MAX_DETAILS) : null,
    purpose: 'membership',
  };
}

/**
 * The membership parts of the member screen. `top` sits under the member's name: what was taken today, a short
 * warning (the basket stays first and reachable in one tap), or, when the network requires the membership, the loud
 * refusal with the form to take the fee. `bottom` sits under the payment: the form to take the fee when it is only
 * a warning. Once the basket is handed over (`handedOver`), a required fee is only a warning too: nothing is left
 * to refuse, and the fee can still be taken.
 * @param {object} member
 * @param {ReturnType<typeof membershipStatus>} status
 * @param {{recorded: () => void, handedOver?: boolean}} then called once the fee is recorded (the screen redraws)
 * @returns {{top: HTMLElement|null, bottom: HTMLElement|null}}
 */
export function membershipBlock(member, status, { recorded, handedOver = false }) {
  if (status.paid) {
    const { payload } = status.paid;
    const method = t(`membership.method_${payload.method}`);
    const text = t('membership.taken', { amount: money(payload.amount_cents), method });
    return { top: h('p', { class: 'message', id: 'membership-paid' }, text), bottom: null };
  }
  if (!status.due) return { top: null, bottom: null };
  const form = feeForm(member, status, { recorded });
  if (status.required && !handedOver) {
    const warning = h(
      'p',
      { class: 'loud', role: 'alert', id: 'membership-due' },
      h('strong', { class: 'loud-title' }, t('membership.due_title')),
      h('span', { class: 'loud-text' }, t('membership.required')),
    );
    return { top: h('section', { 'aria-labelledby': 'membership-due' }, warning, form), bottom: null };
  }
  const warning = h(
    'p',
    { class: 'message message-error', role: 'alert', id: 'membership-due' },
    h('strong', {}, t('membership.due_short')),
    ' ',
    t(`membership.warning${handedOver ? '_handed_over' : ''}${form ? '' : '_no_method'}`, {
      amount: money(status.feeCents),
    }),
  );
  const bottom = form
    ? h(
        'section',
        { 'aria-labelledby': 'membership-title', class: 'membership-block' },
        h('h2', { id: 'membership-title' }, t('membership.title')),
        form,
      )
    : null;
  return { top: warning, bottom };
}

/** The form that takes the fee in one tap (null when the network accepts no method a fee is taken by). */
function feeForm(member, status, { recorded }) {
  const methods = (state.index.pack.network.payment_methods ?? []).filter((method) => FEE_METHODS.includes(method));
  if (!methods.length) return null;
  const method = h(
    'select',
    { id: 'membership-method', name: 'membership-method' },
    methods.map((value) => h('option', { value }, t(`membership.method_${value}`))),
  );
  const details = h('input', {
    id: 'membership-details',
    name: 'membership-details',
    type: 'text',
    maxlength: MAX_DETAILS,
    autocomplete: 'off',
  });
  const detailsRow = h(
    'div',
    { class: 'field', hidden: true },
    h('label', { for: 'membership-details' }, t('membership.cheque_number')),
    details,
  );
  const error = h('p', { class: 'message message-error', role: 'alert', hidden: true, id: 'membership-error' });
  const take = h(
    'button',
    { type: 'submit', id: 'membership-take' },
    t('membership.take', { amount: money(status.feeCents) }),
  );
  method.addEventListener('change', () => {
    detailsRow.hidden = method.value !== 'cheque';
  });
  const form = h(
    'form',
    { class: 'membership', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'membership-method' }, t('membership.method')), method),
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
      details.setAttribute('aria-describedby', 'membership-error');
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
    const payload = membershipPayload(member, {
      feeCents: status.feeCents,
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

/** What replaces the hand-over form while a required membership is due. */
export function membershipRefusal() {
  return h('p', { class: 'message message-error', id: 'membership-refused' }, t('membership.refused'));
}
