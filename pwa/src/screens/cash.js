// The cash box of this phone at the open distribution: the opening float, the cash taken (the cash part of its
// payments), what should be in the box, the closing count and the difference. Each count is a `cash_count` event,
// as a total or coin by coin (denominations that add up to the total).
import { record } from '../events.js';
import { lang, t, tn } from '../i18n.js';
import { fullName } from '../packs.js';
import { distributionView } from '../projection.js';
import { $, busy, h, say } from '../ui/dom.js';
import { centsForInput, formatCents, formatDenomination, parseCents } from '../ui/format.js';
import { registerScreen } from '../ui/nav.js';
import { recordingShift, state } from '../ui/state.js';
import { renderUndo } from '../ui/undo.js';
import { chequesToHandOver } from './payment.js';

/** Euro notes and coins, in cents, largest first. */
const DENOMINATIONS = [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1];

function money(cents) {
  return formatCents(cents, state.index?.pack.network.currency ?? 'EUR');
}

/**
 * This phone's last closing count at the distribution (not voided), or null.
 * @param {import('../projection.js').View} view
 */
export function lastClosing(view) {
  let closing = null;
  for (const { event, own } of view.events) {
    if (own && event.type === 'cash_count' && event.payload.kind === 'closing' && !view.voided.has(event.id)) {
      if (!closing || event.seq > closing.seq) closing = event;
    }
  }
  return closing;
}

function line(label, value, className = '') {
  return [h('dt', {}, label), h('dd', { class: className }, value)];
}

function countForm(kind) {
  const total = h('input', {
    id: `cash-${kind}-total`,
    type: 'text',
    inputmode: 'decimal',
    autocomplete: 'off',
    class: 'amount-input',
  });
  const counts = DENOMINATIONS.map((cents) => {
    const input = h('input', {
      id: `cash-${kind}-${cents}`,
      type: 'number',
      inputmode: 'numeric',
      min: 0,
      step: 1,
      dataset: { cents },
    });
    const value = formatDenomination(cents, state.index?.pack.network.currency ?? 'EUR');
    const label = t(cents >= 500 ? 'cash.notes' : 'cash.coins', { value });
    return h('div', { class: 'denomination' }, h('label', { for: input.id }, label), input);
  });
  const error = h('p', { class: 'message message-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit' }, t(`cash.${kind}_submit`));
  const form = h(
    'form',
    { id: `cash-${kind}`, novalidate: true },
    h(
      'fieldset',
      {},
      h('legend', {}, t(`cash.${kind}_legend`)),
      h('div', { class: 'field' }, h('label', { for: total.id }, t(`cash.${kind}_total`)), total),
      h('details', {}, h('summary', {}, t('cash.by_denomination')), h('div', { class: 'denominations' }, counts)),
    ),
    error,
    submit,
  );
  const denominations = () => {
    const found = {};
    for (const input of form.querySelectorAll('input[data-cents]')) {
      const value = input.value.trim();
      if (!value) continue;
      const count = Number(value);
      if (!Number.isInteger(count) || count < 0 || count > 1000000) return null;
      if (count > 0) found[input.dataset.cents] = count;
    }
    return found;
  };
  form.addEventListener('input', (event) => {
    if (!event.target.dataset.cents) return;
    const found = denominations();
    if (!found) return;
    const sum = Object.entries(found).reduce((acc, [cents, count]) => acc + Number(cents) * count, 0);
    total.value = Object.keys(found).length ? centsForInput(sum) : '';
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    error.textContent = '';
    const found = denominations();
    let totalCents = parseCents(total.value);
    if (found === null) {
      error.textContent = t('cash.bad_count');
    } else if (Object.keys(found).length) {
      totalCents = Object.entries(found).reduce((acc, [cents, count]) => acc + Number(cents) * count, 0);
    }
    if (!(await recordingShift())) error.textContent = t('member.no_shift');
    if (error.textContent || found === null || totalCents === null || !total.value.trim()) {
      error.textContent ||= t('cash.bad_total');
      error.hidden = false;
      return;
    }
    const payload = {
      kind,
      total_cents: totalCents,
      denominations: found && Object.keys(found).length ? found : null,
    };
    try {
      await busy(submit, () => record('cash_count', payload, { distributionId: state.distributionId }));
    } catch (caught) {
      error.textContent = t('member.record_failed', { message: caught.message });
      error.hidden = false;
      return;
    }
    await render();
    say(t(`cash.${kind}_recorded`, { total: money(totalCents) }));
  });
  return form;
}

/**
 * Draw the screen. Drawn again for new data (`redraw`: a sync, an undo), only the figures change, and only when
 * they differ: a half-typed count stays, and the line about cash taken after the count is not said again.
 */
async function render({ redraw = false } = {}) {
  const root = $('cash-body');
  if (!state.index) {
    root.replaceChildren(h('p', {}, t('lists.no_distribution')));
    return;
  }
  const view = await distributionView(state.distributionId);
  const { cash, cancelledCash } = view;
  const cheques = chequesToHandOver(view, state.index.pack.producers ?? []);
  const figures = h('div', { id: 'cash-figures', dataset: { lang } }, ...cashFigures(cash, cancelledCash), chequesList(cheques));
  const shown = $('cash-figures');
  if (redraw && shown?.dataset.lang === lang && root.dataset.distribution === String(state.distributionId)) {
    if (shown.textContent !== figures.textContent) shown.replaceWith(figures);
  } else {
    root.dataset.distribution = String(state.distributionId);
    root.replaceChildren(
      h('h1', {}, t('cash.title')),
      figures,
      countForm('opening'),
      countForm('closing'),
      h('div', { class: 'undo-slot' }),
    );
  }
  await renderUndo();
}

/**
 * What the box holds, as the admin's log says it: the count against what the box should have held when counted;
 * the cash taken after it said apart, until the box is counted again (the new count replaces the old).
 * @param {import('../projection.js').CashBox} cash
 * @param {import('../projection.js').View['cancelledCash']} [cancelledCash] said apart, to give back
 */
function cashFigures(cash, cancelledCash = []) {
  const after = cash.afterCountCents;
  const difference = cash.differenceAtCountCents;
  let differenceText = t('cash.not_counted');
  let differenceClass = '';
  if (difference !== null) {
    if (difference === 0) differenceText = t('cash.exact');
    else if (difference < 0) differenceText = t('cash.missing', { amount: money(-difference) });
    else differenceText = t('cash.extra', { amount: money(difference) });
    differenceClass = difference === 0 ? 'ok' : 'loud-text';
  }
  return [
    after ? h('p', { class: 'loud', role: 'alert' }, t('cash.after_closing', { amount: money(after) })) : '',
    ...cancelledCash.map(({ orderId, householdId, cents }) => {
      // Undone by the coordination after the fact: the count makes sense only if this cash is said apart.
      const member = orderId !== null ? state.index?.memberByOrder(orderId) : state.index?.member(householdId);
      const name = member ? fullName(member) : t('cash.cancelled_someone');
      return h('p', { class: 'loud cancelled-payment', role: 'alert' }, t('cash.cancelled', { amount: money(cents), name }));
    }),
    h(
      'dl',
      { class: 'cash-summary', 'aria-label': t('cash.summary') },
      line(t('cash.opening'), cash.openingCents === null ? t('cash.not_counted') : money(cash.openingCents)),
      line(t(after ? 'cash.taken_before_count' : 'cash.taken'), money(cash.cashPaymentsCents + cash.cashTopUpsCents - after)),
      line(t(after ? 'cash.expected_at_count' : 'cash.expected'), money(cash.expectedAtCountCents), 'strong'),
      line(t('cash.counted'), cash.countedCents === null ? t('cash.not_counted') : money(cash.countedCents)),
      line(t('cash.difference'), differenceText, differenceClass),
    ),
    topUpsLine(cash),
  ];
}

/**
 * The cheques this phone took, to hand over with the box: one line per payee ("EARL du Luzard : 2 chèques,
 * 27,00 €"), the numbers under it, so the treasurer can check them and give each producer theirs.
 * @param {ReturnType<typeof chequesToHandOver>} cheques
 */
function chequesList(cheques) {
  if (!cheques.length) return '';
  return h(
    'section',
    { id: 'cash-cheques', 'aria-labelledby': 'cash-cheques-title' },
    h('h2', { id: 'cash-cheques-title' }, t('cash.cheques_title')),
    h(
      'ul',
      { class: 'cheque-groups' },
      ...cheques.map((group) =>
        h(
          'li',
          { dataset: { payee: group.producerId ?? '' } },
          h(
            'strong',
            {},
            t('cash.cheques_line', {
              payee: group.payee ?? t('pay.payee_network'),
              count: tn('cash.cheques_count', group.count),
              amount: money(group.cents),
            }),
          ),
          group.numbers.length ? h('br') : '',
          group.numbers.length ? h('small', {}, t('cash.cheques_numbers', { numbers: group.numbers.join(', ') })) : '',
        ),
      ),
    ),
  );
}

/** The cash of the credits paid at the point is in the box too: said once, under the figures. */
function topUpsLine(cash) {
  return cash.cashTopUpsCents
    ? h('p', { class: 'muted', id: 'cash-top-ups' }, t('cash.top_ups', { amount: money(cash.cashTopUpsCents) }))
    : '';
}

registerScreen('cash', { render });
