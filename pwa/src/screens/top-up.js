// A credit paid at the point (versement): on the member screen, the member hands money over and it is credited to
// their prepaid account, offline, as one `top_up` event (docs/sync-protocol.md, docs/accounts.md "Credit paid at
// the point"). Behind a disclosure so the hand-over stays one tap; cash asks what was given and says the change, a
// cheque its number, like a payment. Undone like any action ("Annuler la dernière action": a void).
import { recordMany } from '../events.js';
import { t } from '../i18n.js';
import { fullName } from '../packs.js';
import { TOP_UP_METHODS, distributionView } from '../projection.js';
import { ask, busy, h } from '../ui/dom.js';
import { clearErrors, fieldError, liveFieldError } from '../ui/field-error.js';
import { centsForInput, formatClock, formatCents, parseCents } from '../ui/format.js';
import { recordingShift, state } from '../ui/state.js';
import { lastClosing } from './cash.js';
import { DETAILS, MAX_DETAILS } from './payment.js';

/** The largest credit the protocol takes (sync.events.MAX_CENTS). */
const MAX_CENTS = 10 ** 9;

function money(cents) {
  return formatCents(cents, state.index?.pack.network.currency ?? 'EUR');
}

/** The methods by which this network's members may credit their prepaid account here (none: no prepaid account). */
export function topUpMethods(network) {
  const enabled = network.payment_methods ?? [];
  return enabled.includes('prepaid') ? TOP_UP_METHODS.filter((method) => enabled.includes(method)) : [];
}

/**
 * What the volunteer credits to a member's prepaid account: a disclosure with the amount, how it was paid, and the
 * confirmation. `recorded(message)` is called once the event is written (the screen redraws with the new balance).
 * @param {object} member the pack's member
 * @param {{available: number, recorded: (message: string) => Promise<void>}} options `available`: the prepaid
 *   balance the screen shows (the pack's, minus what was taken today, plus what was credited)
 * @returns {HTMLElement|null}
 */
export function topUpSection(member, { available, recorded }) {
  const methods = topUpMethods(state.index.pack.network);
  if (!methods.length) return null;
  const form = h('form', { id: 'top-up-form', novalidate: true });
  const amount = h('input', {
    id: 'top-up-amount',
    type: 'text',
    inputmode: 'decimal',
    autocomplete: 'off',
    class: 'amount-input',
    placeholder: centsForInput(0),
  });
  const choices = methods.map((method) =>
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'radio', name: 'top-up-method', value: method, checked: method === methods[0] }),
      t(`topup.method.${method}`),
    ),
  );
  const given = h('input', { id: 'top-up-given', type: 'text', inputmode: 'decimal', autocomplete: 'off' });
  const change = h('output', { id: 'top-up-change', class: 'change', 'aria-live': 'polite', for: 'top-up-given' });
  const givenField = h('div', { class: 'field' }, h('label', { for: given.id }, t('topup.given')), given, change);
  const details = h('input', {
    id: 'top-up-details',
    type: 'text',
    autocomplete: 'off',
    maxlength: MAX_DETAILS,
  });
  const detailsLabel = h('label', { for: details.id });
  const detailsField = h('div', { class: 'field' }, detailsLabel, details);
  const error = h('p', { id: 'top-up-error', class: 'message message-error', role: 'alert', hidden: true });
  const confirm = h('button', { type: 'submit', id: 'top-up-confirm' }, t('topup.confirm'));
  form.append(
    h('p', { class: 'muted', id: 'top-up-balance' }, t('topup.balance', { amount: money(available) })),
    h('div', { class: 'field' }, h('label', { for: amount.id }, t('topup.amount')), amount),
    h('fieldset', {}, h('legend', {}, t('topup.method')), choices),
    givenField,
    detailsField,
    error,
    confirm,
  );
  const section = h(
    'details',
    { id: 'top-up', class: 'disclosure' },
    h('summary', {}, t('topup.open')),
    form,
  );

  const method = () => form.querySelector('input[name=top-up-method]:checked')?.value ?? methods[0];
  function update() {
    const chosen = method();
    givenField.hidden = chosen !== 'cash';
    detailsField.hidden = !DETAILS[chosen];
    if (DETAILS[chosen]) {
      detailsLabel.textContent = t(`pay.${chosen}.details`);
      details.inputMode = chosen === 'cheque' ? 'numeric' : 'text';
    }
    const cents = parseCents(amount.value);
    const handed = parseCents(given.value);
    // The change line shows only the change; a problem goes to the field's note (never both).
    const typed = chosen === 'cash' && given.value.trim() && cents;
    const problem =
      typed && handed === null
        ? t('pay.bad_amount', { label: t('topup.given') })
        : typed && handed < cents
          ? t('topup.given_short')
          : null;
    liveFieldError(given, problem);
    change.textContent = typed && !problem && handed > cents ? t('pay.change', { amount: money(handed - cents) }) : '';
  }
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  update();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    error.hidden = true;
    const chosen = method();
    const cents = parseCents(amount.value);
    if (cents === null || cents > MAX_CENTS) fieldError(amount, t('pay.bad_amount', { label: t('topup.amount') }));
    else if (!cents) fieldError(amount, t('topup.amount_missing'));
    let handed = 0;
    if (chosen === 'cash') {
      handed = parseCents(given.value);
      if (handed === null) fieldError(given, t('pay.bad_amount', { label: t('topup.given') }));
      else if (handed > 0 && cents && handed < cents) fieldError(given, t('topup.given_short'));
    }
    const reference = DETAILS[chosen] ? details.value.trim() : '';
    if (DETAILS[chosen]?.required && !reference) fieldError(details, t(`pay.${chosen}.details_missing`));
    const [first] = form.querySelectorAll('[aria-invalid=true]');
    if (first) {
      first.focus();
      return;
    }
    if (!(await recordingShift())) {
      error.textContent = t('member.no_shift');
      error.hidden = false;
      return;
    }
    const name = fullName(member);
    const what = t('topup.what', { amount: money(cents), method: t(`topup.by.${chosen}`), name });
    if (!(await ask({ title: t('topup.question'), text: `${what}.`, yes: t('topup.yes') }))) return;
    const closing = lastClosing(await distributionView(state.distributionId));
    if (closing && chosen === 'cash') {
      const at = formatClock(closing.device_time);
      const yes = await ask({
        title: t('member.closed_title'),
        text: t('member.closed_cash', { at, amount: money(cents) }),
        yes: t('member.closed_yes'),
      });
      if (!yes) return;
    }
    const payload = {
      household_id: member.id,
      amount_cents: cents,
      method: chosen,
      method_details: reference ? reference.slice(0, MAX_DETAILS) : null,
      account: 'prepaid',
    };
    try {
      await busy(confirm, () => recordMany([{ type: 'top_up', payload }], { distributionId: state.distributionId }));
    } catch (caught) {
      error.textContent = t('member.record_failed', { message: caught.message });
      error.hidden = false;
      return;
    }
    const changeDue = chosen === 'cash' && handed > cents ? handed - cents : 0;
    const words = changeDue ? t('topup.recorded_change', { what, amount: money(changeDue) }) : t('topup.recorded', { what });
    await recorded(words);
  });
  return section;
}
