// Membership (adhésion) on the member screen: whether the member's yearly fee is to be renewed, and taking it at
// the point as a payment whose purpose is 'membership' (docs/sync-protocol.md, `payment`; docs/accounts.md,
// "Membership"). The pack says whether the fee covers the distribution's day (`membership_due`); a fee taken today
// by this phone or one it pulled from settles it. A warning, not a refusal, unless the network requires it
// (`network.membership_required`): then the member screen offers no hand-over until the fee is taken.
import { t } from '../i18n.js';
import { h } from '../ui/dom.js';
import { formatCents } from '../ui/format.js';
import { state } from '../ui/state.js';
import { feeForm, feePaid } from './fee_form.js';

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
  const paid = feePaid(member, view, 'membership');
  const due = member.membership_due === true && feeCents > 0 && !paid;
  return { due, required: due && network.membership_required === true, feeCents, paid };
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
  const form = feeForm(member, { prefix: 'membership', purpose: 'membership', amountCents: status.feeCents, money, recorded });
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

/** What replaces the hand-over form while a required membership is due. */
export function membershipRefusal() {
  return h('p', { class: 'message message-error', id: 'membership-refused' }, t('membership.refused'));
}
