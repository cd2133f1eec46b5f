// The SSA contribution on the member screen: what the member's band asks them to pay into the scheme for the
// current allowance period, and taking it at the point as a payment whose purpose is 'contribution'
// (docs/accounts.md, "Contributions"; docs/packs.md, `contribution_due_cents`). Never a refusal: the basket is
// handed over whether it is paid or not. A contribution taken today by this phone, or one it pulled from, settles it.
import { lang, t } from '../i18n.js';
import { h } from '../ui/dom.js';
import { formatCents } from '../ui/format.js';
import { state } from '../ui/state.js';
import { feeForm, feePaid } from './fee_form.js';

function money(cents) {
  return formatCents(cents, state.index?.pack.network.currency ?? 'EUR');
}

/** The period of the distribution's day as words: "décembre", or "la semaine du 30 novembre" for a weekly rule. */
export function periodWords(pack) {
  const zone = pack.network.timezone;
  const start = new Date(pack.distribution.starts_at);
  if (pack.network.allowance_period !== 'week') {
    return new Intl.DateTimeFormat(lang, { month: 'long', timeZone: zone }).format(start);
  }
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: 'numeric', day: 'numeric', timeZone: zone })
      .formatToParts(start)
      .map(({ type, value }) => [type, Number(value)]),
  );
  const day = new Date(Date.UTC(parts.year, parts.month - 1, parts.day));
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7)); // back to Monday
  const monday = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(day);
  return t('contribution.week', { day: monday });
}

/**
 * The member's contribution today, from the pack and the events this phone knows.
 * @returns {{dueCents: number, paid: object|null}} `dueCents`: still to be paid (0: nothing asked, or paid)
 */
export function contributionStatus(member, view) {
  const paid = feePaid(member, view, 'contribution');
  const asked = member.contribution_due_cents ?? 0;
  return { dueCents: paid ? 0 : asked, paid };
}

/**
 * The contribution's part of the member screen: what was taken today, or what is due with the form to take it in
 * one tap; null when nothing is asked.
 * @param {{recorded: () => void}} then called once the contribution is recorded (the screen redraws)
 */
export function contributionBlock(member, status, { recorded }) {
  const pack = state.index.pack;
  const period = periodWords(pack);
  if (status.paid) {
    const { payload } = status.paid;
    const method = t(`membership.method_${payload.method}`);
    const text = t('contribution.taken', { period, amount: money(payload.amount_cents), method });
    return h('p', { class: 'message', id: 'contribution-paid' }, text);
  }
  if (!status.dueCents) return null;
  const form = feeForm(member, {
    prefix: 'contribution',
    purpose: 'contribution',
    amountCents: status.dueCents,
    money,
    recorded,
  });
  return h(
    'section',
    { 'aria-labelledby': 'contribution-due', class: 'membership-block' },
    h('h2', { id: 'contribution-due' }, t('contribution.due', { period, amount: money(status.dueCents) })),
    form,
  );
}
