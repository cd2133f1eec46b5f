// The member screen: who it is, what they take, what they owe, loud warnings; then the hand-over and the payment,
// recorded together on ONE confirmation ("Valider la remise"). Also the refused-ticket screen (same place: the
// scan's answer). The screen confirms only once every event is written to IndexedDB, all in one transaction
// (events.js `recordMany`): a confirmation is recorded whole or not at all.
//
// Opened by a scan (scan.js), a manual code or a name search, or from the lists. `done` is the scanner's: it is
// called when the volunteer has finished with this member, and only then does the next queued read come.
import { recordMany } from '../events.js';
import { t, tn } from '../i18n.js';
import { listPacks, packIndex } from '../packs.js';
import { dueFor } from '../pricing.js';
import { distributionView } from '../projection.js';
import { feedback } from '../scanner.js';
import { $, ask, busy, h, say } from '../ui/dom.js';
import { centsForInput, formatCents, formatClock, formatSlot, parseCents } from '../ui/format.js';
import { go, registerScreen } from '../ui/nav.js';
import { recordingShift, state } from '../ui/state.js';
import { orderEvents, voidEvents } from '../ui/undo.js';
import { ACCOUNT_METHODS, DETAILS, MAX_DETAILS, METHODS, paymentPayloads } from './payment.js';

let session = null;
let waiting = [];

/** Resolves once no member screen is open: a scan never replaces a member on screen (opened by hand or not). */
export function whenFree() {
  return session ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve();
}

function free() {
  const resolved = waiting;
  waiting = [];
  for (const resolve of resolved) resolve();
}

/**
 * Show a member of the open pack.
 * @param {object} member the pack's member
 * @param {{done?: () => void, from?: string, ticket?: object|null}} [options] `from`: the screen to go back to;
 *   `ticket`: the verified ticket when the member was scanned
 */
export function openMember(member, { done = () => {}, from = 'scan', ticket = null } = {}) {
  session = { member, done, from, ticket };
  state.memberOpen = true;
  return go('member', { session });
}

/**
 * Show a refused ticket (the scan_refused event is already recorded, or `recorded` is false and the screen says so).
 * @param {{reason: string, memberId?: number}} refusal packIndex().checkTicket's answer
 */
export function openRefused(refusal, { done = () => {}, from = 'scan', recorded = true } = {}) {
  session = { refusal, done, from, recorded };
  state.memberOpen = true;
  return go('member', { session });
}

/** Leave the member screen: back where the volunteer came from, then the scanner's next read. */
async function close(message = '', { then } = {}) {
  const finished = session;
  if (!finished) return;
  session = null;
  state.memberOpen = false;
  await go(finished.from);
  if (message) say(message);
  then?.();
  finished.done();
  free();
}

/** Left by a tab without "Fermer": nothing recorded, and the scanner's next read may come. */
function leave() {
  if (!session) return;
  const left = session;
  session = null;
  state.memberOpen = false;
  left.done();
  free();
}

function money(cents) {
  return formatCents(cents, state.index?.pack.network.currency ?? 'EUR');
}

function loud(text) {
  return h('p', { class: 'loud', role: 'alert' }, text);
}

async function render({ session: current }) {
  const root = $('member-body');
  root.replaceChildren();
  const queued = state.scanner?.queued ?? 0;
  $('member-queue').textContent = queued ? tn('scan.queued', queued) : '';
  $('member-queue').hidden = !queued;
  if (!current || !state.index) {
    root.append(h('h1', {}, t('member.none')));
    return;
  }
  if (current.refusal) await renderRefusal(root, current);
  else await renderMember(root, current);
}

// A refused ticket.

async function expectedElsewhere(memberId) {
  for (const pack of await listPacks()) {
    if (pack.distributionId === state.distributionId) continue;
    const index = await packIndex(pack.distributionId);
    if (index?.member(memberId)) return pack;
  }
  return null;
}

async function renderRefusal(root, current) {
  const { reason, memberId } = current.refusal;
  const member = memberId ? state.index.member(memberId) : null;
  const elsewhere = memberId && !member ? await expectedElsewhere(memberId) : null;
  const next = h('button', { type: 'button', id: 'refused-next' }, t('refused.next'));
  const search = h('button', { type: 'button', class: 'secondary' }, t('refused.search'));
  next.addEventListener('click', () => close());
  search.addEventListener('click', () => close('', { then: () => $('search-input')?.focus() }));
  root.append(
    h('h1', {}, t('refused.title')),
    h(
      'div',
      { class: 'loud', role: 'alert' },
      h('strong', { class: 'loud-title' }, t(`ticket.${reason}`)),
      h('span', {}, t(`ticket.${reason}.help`)),
    ),
    member ? h('p', {}, t('refused.member', { name: member.display_name })) : null,
    elsewhere
      ? h(
          'p',
          { class: 'loud' },
          t('refused.elsewhere', {
            point: elsewhere.point.name,
            slot: formatSlot(elsewhere.distribution.starts_at, elsewhere.distribution.ends_at),
          }),
        )
      : null,
    current.recorded
      ? h('p', { class: 'muted' }, t('refused.recorded'))
      : h('p', { class: 'message message-error', role: 'alert' }, t('refused.not_recorded')),
    h('div', { class: 'actions' }, next, search),
  );
}

// A member.

function accountUse(view, orderId) {
  const used = { prepaid: 0, allowance: 0 };
  for (const known of view.events) {
    const { event } = known;
    if (event.type !== 'payment' || view.voided.has(event.id) || event.payload.order_id !== orderId) continue;
    used.prepaid += event.payload.from_prepaid_cents;
    used.allowance += event.payload.from_allowance_cents;
  }
  return used;
}

function revokedToday(view, memberId) {
  return view.events.some(
    ({ event }) =>
      event.type === 'scan_refused' &&
      !view.voided.has(event.id) &&
      event.payload.reason === 'revoked' &&
      event.payload.member_id === memberId,
  );
}

async function renderMember(root, current) {
  const { member } = current;
  const pack = state.index.pack;
  const order = member.order;
  const view = await distributionView(state.distributionId);
  const status = view.orders.get(order.id) ?? null;
  const paidCents = status?.paidCents ?? 0;
  const used = accountUse(view, order.id);
  const available = {
    prepaid: Math.max(0, (member.balances?.prepaid_cents ?? 0) - used.prepaid),
    allowance: Math.max(0, (member.balances?.allowance_cents ?? 0) - used.allowance),
  };
  const collected = status && (status.outcome === 'all' || status.outcome === 'partial');

  const warnings = [];
  if (member.status && member.status !== 'active') warnings.push(t(`member.status_${member.status}`));
  if (!current.ticket && revokedToday(view, member.id)) warnings.push(t('member.revoked_today'));
  if (collected) {
    warnings.push(t(`member.collected_${status.by}_${status.outcome}`, { at: formatClock(status.at) }));
  }
  if (warnings.length && current.ticket) feedback('refused');

  const infos = [];
  if (status?.outcome === 'refused') infos.push(t('member.refused_earlier', { at: formatClock(status.at) }));
  if (paidCents) infos.push(t('member.paid_already', { paid: money(paidCents) }));

  root.append(
    h('h1', {}, member.display_name),
    h(
      'p',
      { class: 'muted' },
      t('member.tier', { tier: member.tier.name, share: member.tier.share_percent }),
      member.manual_code ? ` · ${t('member.code', { code: displayCode(member.manual_code) })}` : '',
    ),
    ...warnings.map(loud),
    ...infos.map((text) => h('p', { class: 'message' }, text)),
    basket(order),
    balances(member, available),
  );

  const form = handoverForm(member, { paidCents, available });
  if (collected) {
    form.hidden = true;
    const reopen = h(
      'button',
      { type: 'button', class: status.by === 'this_device' ? '' : 'secondary' },
      t(status.by === 'this_device' ? 'member.correct' : 'member.again'),
    );
    reopen.addEventListener('click', async () => {
      if (status.by !== 'this_device') {
        reopen.closest('.actions').remove();
        form.hidden = false;
        form.querySelector('input')?.focus();
        return;
      }
      const events = await orderEvents(order.id);
      const yes = await ask({
        title: t('member.correct_question', { name: member.display_name }),
        text: t('member.correct_text'),
        yes: t('member.correct_yes'),
      });
      if (!yes) return;
      await busy(reopen, () => voidEvents(events));
      say(t('member.corrected', { name: member.display_name }));
      await go('member', { session: current, focus: true });
    });
    const leave = h('button', { type: 'button', class: 'secondary outline' }, t('member.close'));
    leave.addEventListener('click', () => close());
    root.append(h('div', { class: 'actions' }, reopen, leave));
  }
  root.append(form);
}

function displayCode(code) {
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

function basket(order) {
  const lines = order.lines.map((line) =>
    h(
      'li',
      {},
      h('span', {}, t('member.line', { quantity: line.quantity, product: line.product_name })),
      h('span', { class: 'amount' }, money(line.due_cents)),
    ),
  );
  return h(
    'section',
    { 'aria-labelledby': 'basket-title' },
    h('h2', { id: 'basket-title' }, t('member.basket')),
    lines.length ? h('ul', { class: 'basket' }, lines) : h('p', {}, t('member.empty_order')),
    h(
      'p',
      { class: 'total' },
      h('span', {}, t('member.total_due')),
      h('strong', { class: 'amount' }, money(order.total_due_cents)),
    ),
  );
}

function balances(member, available) {
  const parts = [];
  const prepaid = member.balances?.prepaid_cents ?? 0;
  const allowance = member.balances?.allowance_cents ?? 0;
  if (prepaid) parts.push(t('member.balance_prepaid', { amount: money(prepaid) }));
  if (allowance) parts.push(t('member.balance_allowance', { amount: money(allowance) }));
  if (!parts.length) return null;
  const usedToday = available.prepaid !== Math.max(0, prepaid) || available.allowance !== Math.max(0, allowance);
  return h(
    'p',
    { class: 'balances' },
    parts.join(' · '),
    usedToday
      ? h(
          'small',
          { class: 'muted' },
          t('member.balance_left', { prepaid: money(available.prepaid), allowance: money(available.allowance) }),
        )
      : null,
  );
}

// The form: hand-over and payment, one confirmation.

let fieldCount = 0;
function fieldId(name) {
  fieldCount += 1;
  return `f-${name}-${fieldCount}`;
}

function field(label, input, { details = false } = {}) {
  input.id ||= fieldId('x');
  return h('div', { class: details ? 'field details-field' : 'field' }, h('label', { for: input.id }, label), input);
}

function amountInput(label) {
  return h('input', {
    id: fieldId('amount'),
    type: 'text',
    inputmode: 'decimal',
    autocomplete: 'off',
    class: 'amount-input',
    placeholder: centsForInput(0),
    'aria-label': label,
  });
}

function handoverForm(member, { paidCents, available }) {
  const order = member.order;
  const methods = (state.index.pack.network.payment_methods ?? []).filter((method) => METHODS.includes(method));
  const form = h('form', { id: 'handover-form', novalidate: true });
  const error = h('p', { id: 'member-error', class: 'message message-error', role: 'alert', hidden: true });

  // The hand-over.
  const outcomes = ['all', 'partial', 'refused'].map((outcome) =>
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'radio', name: 'outcome', value: outcome, checked: outcome === 'all' }),
      t(`handover.${outcome}`),
    ),
  );
  const quantities = order.lines.map((line) => {
    const input = h('input', {
      id: fieldId('quantity'),
      type: 'number',
      inputmode: 'numeric',
      min: 0,
      max: line.quantity,
      step: 1,
      value: line.quantity,
      'aria-label': t('handover.quantity', { product: line.product_name }),
      dataset: { product: line.product_id, ordered: line.quantity },
    });
    return field(t('handover.quantity_label', { product: line.product_name, quantity: line.quantity }), input);
  });
  const partial = h('div', { id: 'partial-lines', class: 'partial-lines', hidden: true }, quantities);
  const note = h('textarea', { id: fieldId('note'), name: 'note', rows: 2, maxlength: 500 });
  form.append(
    h('fieldset', {}, h('legend', {}, t('handover.legend')), outcomes),
    partial,
    field(t('handover.note'), note),
  );

  // The payment.
  const dueAmount = h('strong', { id: 'due-amount', class: 'amount' });
  const solidarity = h('small', { class: 'muted' });
  const rows = h('div', { class: 'methods' });
  const summary = h('output', { id: 'pay-summary', class: 'pay-summary', 'aria-live': 'polite' });
  const payment = h(
    'fieldset',
    { id: 'payment' },
    h('legend', {}, t('pay.legend')),
    h('p', { class: 'due' }, h('span', {}, t('pay.due')), dueAmount),
    solidarity,
    rows,
    summary,
  );
  form.append(payment);

  let chequeCount = 0;
  const addRow = (method) => {
    if (ACCOUNT_METHODS.includes(method) && available[method] <= 0) return;
    const number = method === 'cheque' ? (chequeCount += 1) : 0;
    const label = number > 1 ? t('pay.cheque_n.amount', { n: number }) : t(`pay.${method}.amount`);
    const input = amountInput(label);
    const rest = h(
      'button',
      { type: 'button', class: 'secondary outline rest', 'aria-label': t(`pay.${method}.rest`) },
      t('pay.rest'),
    );
    const row = h(
      'div',
      { class: 'method', dataset: { method } },
      h('label', { for: input.id }, label),
      h('div', { class: 'inline' }, input, rest),
    );
    rest.addEventListener('click', () => {
      const others = readRows().filter((read) => read.row !== row);
      let left = toPay() - others.reduce((sum, read) => sum + (read.cents ?? 0), 0);
      if (ACCOUNT_METHODS.includes(method)) left = Math.min(left, available[method]);
      input.value = left > 0 ? centsForInput(left) : '';
      update();
      (row.querySelector('.details-field:not([hidden]) input') ?? input).focus();
    });
    if (ACCOUNT_METHODS.includes(method)) {
      row.append(h('small', { class: 'muted' }, t('pay.available', { amount: money(available[method]) })));
    }
    if (method === 'cash') {
      const given = h('input', {
        id: 'pay-given',
        type: 'text',
        inputmode: 'decimal',
        autocomplete: 'off',
        class: 'amount-input given-input',
        placeholder: centsForInput(0),
      });
      const change = h('output', { id: 'pay-change', class: 'change', 'aria-live': 'polite' });
      row.append(field(t('pay.given'), given, { details: true }), change);
    }
    if (DETAILS[method]) {
      const details = h('input', {
        id: fieldId('details'),
        type: 'text',
        autocomplete: 'off',
        maxlength: MAX_DETAILS,
        class: 'details-input',
        inputmode: method === 'cheque' ? 'numeric' : 'text',
      });
      const detailsLabel = number > 1 ? t('pay.cheque_n.details', { n: number }) : t(`pay.${method}.details`);
      row.append(field(detailsLabel, details, { details: true }));
    }
    if (method === 'cheque' && number === 1) {
      const another = h('button', { type: 'button', class: 'secondary outline' }, t('pay.cheque_another'));
      another.addEventListener('click', () => {
        const added = addRow('cheque');
        another.before(added);
        added.querySelector('input').focus();
      });
      row.append(another);
    }
    return row;
  };
  for (const method of methods) {
    const row = addRow(method);
    if (row) rows.append(row);
  }

  form.append(
    error,
    h('button', { type: 'submit', id: 'member-confirm' }, t('member.confirm')),
    h('button', { type: 'button', id: 'member-close', class: 'secondary' }, t('member.close_unsaved')),
  );

  // Reading what is typed.
  function outcome() {
    return form.querySelector('input[name=outcome]:checked')?.value ?? 'all';
  }
  function received() {
    const map = new Map();
    for (const input of partial.querySelectorAll('input')) map.set(Number(input.dataset.product), Number(input.value));
    return map;
  }
  function due() {
    return dueFor(order, outcome(), outcome() === 'partial' ? received() : undefined);
  }
  function toPay() {
    return Math.max(0, due().dueCents - paidCents);
  }
  function readRows() {
    return [...rows.querySelectorAll('.method')].map((row) => {
      const input = row.querySelector('.amount-input:not(.given-input)');
      return {
        row,
        method: row.dataset.method,
        label: input.getAttribute('aria-label'),
        cents: parseCents(input.value),
        details: row.querySelector('.details-input')?.value.trim() ?? '',
      };
    });
  }

  function update() {
    const current = outcome();
    partial.hidden = current !== 'partial';
    payment.hidden = current === 'refused';
    const { solidarityCents } = due();
    const owed = toPay();
    dueAmount.textContent = money(owed);
    solidarity.textContent = solidarityCents ? t('pay.solidarity', { amount: money(solidarityCents) }) : '';
    const read = readRows();
    // What goes with an amount (the cash handed over, a cheque's number, a terminal reference) shows once it is typed.
    for (const { row, cents } of read) {
      for (const details of row.querySelectorAll('.details-field')) details.hidden = !(cents > 0);
    }
    const paid = read.reduce((sum, r) => sum + (r.cents ?? 0), 0);
    summary.textContent =
      paid > owed
        ? t('pay.summary_over', { paid: money(paid), over: money(paid - owed) })
        : t('pay.summary', { paid: money(paid), left: money(owed - paid) });
    summary.classList.toggle('warning', paid !== owed);
    const change = form.querySelector('#pay-change');
    if (change) {
      const cash = read.find((r) => r.method === 'cash')?.cents ?? 0;
      const given = parseCents(form.querySelector('#pay-given').value);
      if (given === null || (given > 0 && given < cash)) change.textContent = t('pay.given_short');
      else if (!given) change.textContent = '';
      else change.textContent = t('pay.change', { amount: money(given - cash) });
    }
  }
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  update();

  // Enter moves to the next field rather than submitting half a payment (phones show "Go" on every field).
  form.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.target.tagName !== 'INPUT') return;
    event.preventDefault();
    const fields = [...form.querySelectorAll('input:not([type=radio]), textarea, button[type=submit]')].filter(
      (element) => element.offsetParent !== null,
    );
    fields[fields.indexOf(event.target) + 1]?.focus();
  });

  form.querySelector('#member-close').addEventListener('click', () => close());

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const chosen = outcome();
    const problems = [];
    const quantities = chosen === 'partial' ? received() : new Map();
    if (chosen === 'partial') {
      for (const line of order.lines) {
        const quantity = quantities.get(line.product_id);
        if (!Number.isInteger(quantity) || quantity < 0 || quantity > line.quantity) {
          problems.push(t('handover.bad_quantity', { product: line.product_name, quantity: line.quantity }));
        }
      }
      if (!problems.length && ![...quantities.values()].some((quantity) => quantity > 0)) {
        problems.push(t('handover.nothing'));
      }
    }
    const { solidarityCents } = chosen === 'refused' ? { solidarityCents: 0 } : due();
    const owed = chosen === 'refused' ? 0 : toPay();
    const parts = [];
    const accounts = { prepaid: 0, allowance: 0 };
    let cashCents = 0;
    let givenCents = 0;
    if (chosen !== 'refused') {
      for (const read of readRows()) {
        if (read.cents === null) {
          problems.push(t('pay.bad_amount', { label: read.label }));
          continue;
        }
        if (ACCOUNT_METHODS.includes(read.method)) {
          accounts[read.method] += read.cents;
          continue;
        }
        if (read.cents > 0 && DETAILS[read.method]?.required && !read.details) {
          problems.push(t(`pay.${read.method}.details_missing`));
        }
        if (read.method === 'cash') cashCents += read.cents;
        parts.push({ method: read.method, cents: read.cents, details: read.details || null });
      }
      for (const method of ACCOUNT_METHODS) {
        if (accounts[method] > available[method]) {
          problems.push(t(`pay.${method}.over`, { amount: money(available[method]) }));
        }
      }
      const given = form.querySelector('#pay-given') ? parseCents(form.querySelector('#pay-given').value) : 0;
      if (given === null) problems.push(t('pay.bad_amount', { label: t('pay.given') }));
      else if (given > 0 && given < cashCents) problems.push(t('pay.given_short'));
      else givenCents = given;
    }
    const paid = parts.reduce((sum, part) => sum + part.cents, 0) + accounts.prepaid + accounts.allowance;
    if (paid > owed) problems.push(t('pay.too_much', { paid: money(paid), due: money(owed) }));
    if (!(await recordingShift())) problems.unshift(t('member.no_shift'));
    if (problems.length) {
      error.textContent = problems.join(' ');
      error.hidden = false;
      return;
    }
    if (paid < owed) {
      const yes = await ask({
        title: t('pay.incomplete_title'),
        text: t('pay.incomplete', { name: member.display_name, left: money(owed - paid) }),
        yes: t('pay.incomplete_yes'),
      });
      if (!yes) return;
    }

    const note = form.querySelector('textarea').value.trim();
    const handover = {
      order_id: order.id,
      outcome: chosen,
      lines:
        chosen === 'partial'
          ? order.lines
              .filter((line) => quantities.get(line.product_id) > 0)
              .map((line) => ({ product_id: line.product_id, quantity_received: quantities.get(line.product_id) }))
          : [],
      substitution_note: note ? note.slice(0, 500) : null,
    };
    const payments =
      chosen === 'refused'
        ? []
        : paymentPayloads({
            orderId: order.id,
            parts,
            prepaidCents: accounts.prepaid,
            allowanceCents: accounts.allowance,
            solidarityCents: paidCents ? 0 : solidarityCents,
          });
    try {
      // One confirmation, one transaction: the hand-over and its payments are all recorded, or none is.
      const events = [
        { type: 'handover', payload: handover },
        ...payments.map((payload) => ({ type: 'payment', payload })),
      ];
      const context = { distributionId: state.distributionId };
      await busy(form.querySelector('#member-confirm'), () => recordMany(events, context));
    } catch (caught) {
      error.textContent = t('member.record_failed', { message: caught.message });
      error.hidden = false;
      return;
    }
    const what = [t(`outcome.${chosen}`)];
    if (chosen !== 'refused') {
      what.push(paid ? t('member.recorded_paid', { paid: money(paid) }) : t('member.recorded_unpaid'));
      if (paid < owed) what.push(t('member.recorded_left', { left: money(owed - paid) }));
      const change = givenCents - cashCents;
      if (change > 0) what.push(t('member.recorded_change', { amount: money(change) }));
    }
    await close(t('member.recorded', { name: member.display_name, what: what.join(', ') }));
  });
  return form;
}

registerScreen('member', { render, leave, redraw: false });
