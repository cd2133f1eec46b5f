// The member screen: who it is, what to hand over and what to collect, loud warnings; then the hand-over and its
// payment recorded together on ONE confirmation. Built for one hand in a queue: the common cases take one tap after
// the scan ("Tout remis · payé en espèces", "… par chèque", "… sur le compte / l'allocation"); other methods, a
// split payment and a partial, substituted or refused hand-over sit behind two disclosures, confirmed from a bar
// that sticks above the tab bar. An order already handed over is one clear state, not a form. Also the
// refused-ticket screen (same place: the scan's answer).
//
// Every confirmation is written to IndexedDB in one transaction (events.js `recordMany`): recorded whole or not at
// all, and the screen says so only once it is. After this phone's closing cash count, the volunteer is asked first.
//
// Opened by a scan (scan.js), a manual code or a name search, or from the lists. `done` is the scanner's: it is
// called when the volunteer has finished with this member, and only then does the next queued read come.
import { recordMany } from '../events.js';
import { t, tn } from '../i18n.js';
import { fullName, listPacks, packIndex } from '../packs.js';
import { dueFor, lineDueCents, parseGrams } from '../pricing.js';
import { creditBack } from '../shortages.js';
import { adjust, catalogue, named } from '../substitutions.js';
import { distributionView, keptView } from '../projection.js';
import { feedback } from '../scanner.js';
import { $, append, ask, busy, h, say } from '../ui/dom.js';
import { clearErrors, fieldError, liveFieldError } from '../ui/field-error.js';
import { centsForInput, formatCents, formatClock, formatGrams, formatSlot, parseCents } from '../ui/format.js';
import { go, registerScreen } from '../ui/nav.js';
import { recordingShift, state } from '../ui/state.js';
import { orderEvents, productName, voidEvents } from '../ui/undo.js';
import { lastClosing } from './cash.js';
import { contributionBlock, contributionStatus } from './contribution.js';
import { membershipBlock, membershipRefusal, membershipStatus } from './membership.js';
import { ACCOUNT_METHODS, DETAILS, MAX_DETAILS, METHODS, accountSplit, chequeGroups, paymentPayloads } from './payment.js';
import { saleSection } from './sale.js';
import { topUpSection } from './top-up.js';

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
  append(
    root,
    h('h1', {}, t('refused.title')),
    h(
      'div',
      { class: 'loud', role: 'alert' },
      h('strong', { class: 'loud-title' }, t(`ticket.${reason}`)),
      h('span', {}, t(`ticket.${reason}.help`)),
    ),
    member ? h('p', {}, t('refused.member', { name: fullName(member) }).replace(/\.\.$/, '.')) : null,
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

function accountUse(view, orderId, memberId) {
  const used = { prepaid: 0, allowance: 0, orderAllowance: 0 };
  for (const known of view.events) {
    const { event } = known;
    if (view.voided.has(event.id)) continue;
    const forOrder = event.type === 'payment' && event.payload.order_id === orderId;
    // Extras this member bought here came out of the same accounts (screens/sale.js).
    const sale = event.type === 'sale' && event.payload.household_id === memberId;
    if (!forOrder && !sale) continue;
    used.prepaid += event.payload.from_prepaid_cents ?? 0;
    used.allowance += event.payload.from_allowance_cents ?? 0;
    if (forOrder) used.orderAllowance += event.payload.from_allowance_cents ?? 0;
  }
  return used;
}

/** What the allowance may still pay of the order: the due of its lines of eligible products (the pack marks the
 * others `allowance_eligible: false`), less what the allowance already paid for it. */
function allowanceCap(order, used) {
  const eligible = order.lines.reduce((sum, line) => (line.allowance_eligible === false ? sum : sum + line.due_cents), 0);
  return { eligible, left: Math.max(0, eligible - used.orderAllowance), capped: eligible < order.total_due_cents };
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
  const network = state.index.pack.network;
  const showTier = network.show_tier_at_counter === true;
  const view = await keptView(state.distributionId);
  // A shortage or a substitution recorded for the day changes the order (substitutions.js `adjust`): what is to
  // hand over and owe follows.
  const live = view.events.map((known) => known.event).filter((event) => !view.voided.has(event.id));
  const known = catalogue(state.index.pack);
  const changed = adjust(state.index.pack.members.map((m) => m.order), live).get(member.order.id);
  const order = named(changed ? changed.order : member.order, known);
  const status = view.orders.get(order.id) ?? null;
  // What was paid from the accounts before a shortage or a cheaper substitute and is no longer owed comes back to
  // them (creditBack, the server's sync.shortages.credit_back): it is neither paid nor taken any more.
  const back = creditBack(order.id, changed?.cutIds ?? [], order.total_due_cents, live);
  const backCents = (back.prepaid ?? 0) + (back.allowance ?? 0);
  const paidCents = (status?.paidCents ?? 0) - backCents;
  const used = accountUse(view, order.id, member.id);
  used.prepaid -= back.prepaid ?? 0;
  // A season contract paid from the prepaid account: the server debits the basket after the sync, so the phone
  // keeps it aside (the whole basket, at the tier: docs/contracts.md, "How a contract is paid").
  used.prepaid += contractCents(member.order);
  used.allowance -= back.allowance ?? 0;
  // The pack's balances are those before this distribution (docs/packs.md): what this phone and the phones it
  // pulled from took here comes off them, what was credited here (top-ups) is added. A prepaid account may go down to
  // the network's floor; an allowance to 0.
  const credited = view.topUps.households.get(member.id) ?? 0;
  const prepaidFloor = Math.max(0, network.prepaid_floor_cents ?? 0);
  const balances = {
    prepaid: Math.max(0, (member.balances?.prepaid_cents ?? 0) + prepaidFloor - used.prepaid + credited),
    allowance: Math.max(0, (member.balances?.allowance_cents ?? 0) - used.allowance),
  };
  // The allowance pays only for the products the network marked eligible: for the basket, at most their due.
  const cap = allowanceCap(order, used);
  const available = { ...balances, allowance: Math.min(balances.allowance, cap.left) };
  // What the accounts hold, as the volunteer reads a balance: not the prepaid floor, not the basket's allowance cap
  // (that one is said apart: the cap note, the allowance's payment row).
  const held = {
    prepaid: Math.max(0, (member.balances?.prepaid_cents ?? 0) - used.prepaid + credited),
    allowance: balances.allowance,
  };
  const capNote =
    cap.capped && balances.allowance > 0
      ? h('p', { id: 'allowance-cap', class: 'message' }, t('member.allowance_cap', { amount: money(cap.eligible) }))
      : null;
  const collected = status && (status.outcome === 'all' || status.outcome === 'partial');
  // An account below zero (a double spend, a correction): said, so the volunteer can tell the member (the minus
  // sign U+2212, as the server's pages write it).
  const overdrawn = [
    ['allowance', (member.balances?.allowance_cents ?? 0) - used.allowance],
    ['prepaid', (member.balances?.prepaid_cents ?? 0) - used.prepaid + credited],
  ]
    .filter(([, cents]) => cents < 0)
    .map(([kind, cents]) => h('p', { class: 'message message-error overdrawn' }, t(`member.overdrawn_${kind}`, { amount: `−${money(-cents)}` })));

  const warnings = [];
  if (member.status && member.status !== 'active') warnings.push(t(`member.status_${member.status}`));
  if (!current.ticket && revokedToday(view, member.id)) warnings.push(t('member.revoked_today'));
  if (collected && current.again) {
    warnings.push(t(`member.collected_${status.by}_${status.outcome}`, { at: formatClock(status.at) }));
  }
  const membership = membershipStatus(member, view); // a required membership due refuses like a warning
  const refusing = warnings.length || collected || membership.required;
  if (refusing && current.ticket && !current.again) feedback('refused');

  const about = [
    showTier ? t('member.tier', { tier: member.tier.name, share: member.tier.share_percent }) : null,
  ].filter(Boolean);
  const leaveButton = h(
    'button',
    { type: 'button', id: 'member-close', class: 'secondary outline', 'aria-label': t('member.close_unsaved') },
    t('member.close'),
  );
  leaveButton.addEventListener('click', () => close());
  append(
    root,
    h('div', { class: 'member-head' }, h('h1', {}, fullName(member)), collected && !current.again ? null : leaveButton),
    about.length ? h('p', { class: 'muted member-about' }, about.join(' · ')) : null,
    warnings.map(loud),
    overdrawn,
  );
  const topUp = topUpSection(member, { available: available.prepaid, recorded: (message) => toppedUp(current, message) });
  const sale = await saleSection(member, { available: balances, recorded: (message) => toppedUp(current, message) });
  // Membership: a warning and the fee in one tap; no hand-over while a required membership is due. Once the basket
  // is handed over, the fee can still be taken (the member may pay it after their basket).
  const handedOver = collected && !current.again;
  const fee = membershipBlock(member, membership, { recorded: () => render({ session: current }), handedOver });
  // The SSA contribution, under the membership: taken in one tap, never in the way of the basket.
  const contribution = contributionBlock(member, contributionStatus(member, view), {
    recorded: () => render({ session: current }),
  });
  if (handedOver) {
    renderCollected(root, current, { ...status, paidCents }, order);
    append(root, fee.top, sale, topUp, fee.bottom, contribution);
    return;
  }
  append(
    root,
    status?.outcome === 'refused'
      ? h('p', { class: 'message' }, t('member.refused_earlier', { at: formatClock(status.at) }))
      : null,
    paidCents ? h('p', { class: 'message' }, t('member.paid_already', { paid: money(paidCents) })) : null,
    backCents ? h('p', { class: 'message' }, t('member.credited_back', { amount: money(backCents) })) : null,
    fee.top,
    basket(order, { prices: showTier }),
    capNote,
    membership.required
      ? membershipRefusal()
      : handoverForm(member, order, { paidCents, available, balances, held, showTier, known }),
    sale,
    topUp,
    fee.bottom,
    contribution,
  );
}

/** A credit paid at the point was recorded: the same member again, with the new balance, and what was recorded. */
async function toppedUp(current, message) {
  await go('member', { session: current, focus: true });
  say(message);
}

/** Already handed over (by this phone or another): one state, what happened and what was paid; no form. Its lines
 * as the day's shortages left them (`order`, shorted): a product that did not come is not said handed over. */
function renderCollected(root, current, status, order) {
  const { member } = current;
  // The other phone by its name when the pack lists it: the volunteer knows whom to ask.
  const other = status.by === 'other_device' && state.index?.pack.devices?.find((d) => d.id === status.deviceId)?.name;
  const title = other
    ? t(`member.state_named_device_${status.outcome}`, { device: other })
    : t(`member.state_${status.by}_${status.outcome}`);
  const reopen = h('button', { type: 'button', class: 'secondary' }, t(`member.${status.by === 'this_device' ? 'correct' : 'again'}`));
  const done = h('button', { type: 'button', id: 'member-done' }, t('member.close'));
  done.addEventListener('click', () => close());
  reopen.addEventListener('click', async () => {
    if (status.by !== 'this_device') {
      current.again = true;
      await go('member', { session: current, focus: true });
      return;
    }
    const events = await orderEvents(member.order.id);
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
  append(
    root,
    h(
      'section',
      { class: 'loud handed-over', 'aria-labelledby': 'handed-over-title' },
      h('h2', { id: 'handed-over-title', class: 'loud-title' }, title),
      h('p', { role: 'alert' }, t('member.state_when', { at: formatClock(status.at), outcome: t(`outcome.${status.outcome}`) })),
      h('p', {}, status.paidCents ? t('member.state_paid', { paid: money(status.paidCents) }) : t('member.state_unpaid')),
    ),
    basket(order, { prices: false, title: t('member.ordered') }),
    h('div', { class: 'actions' }, done, reopen),
  );
}

/** A line in words: "2 × Pain", or for a line sold by weight its estimate and price per kg, "Comté ≈ 500 g · 24,50 €/kg". */
function lineWords(line) {
  if (line.sold_by !== 'kg') return t('member.line', { quantity: line.quantity, product: line.product_name });
  return t('member.line_weighed', {
    product: line.product_name,
    weight: formatGrams(line.quantity),
    price: money(line.unit_price_cents),
  });
}

/** A full price as the product is sold: "3,20 €", or per kg "22,00 €/kg". */
function unitPrice({ unit_price_cents: cents, sold_by: soldBy }) {
  return soldBy === 'kg' ? t('member.per_kg', { price: money(cents) }) : money(cents);
}

/** What the prepaid account will be debited for the order's lines of a contract paid from it, all handed over. */
function contractCents(order) {
  return order.lines
    .filter((line) => line.paid_in_advance && line.paid_from === 'prepaid')
    .reduce(
      (sum, line) => sum + lineDueCents(line.quantity, line.unit_price_cents, order.share_percent, line.sold_by),
      0,
    );
}

/** How a line due 0 here was paid: from the prepaid account (the server debits it after the hand-over), or before
 * the day by cheques (docs/contracts.md, "How a contract is paid"). */
function aheadKey(line) {
  return line.paid_from === 'prepaid' ? 'member.paid_from_prepaid' : 'member.paid_in_advance';
}

/** What to hand over (or, once handed over, what was ordered: `title`); with the line prices only where the network
 * shows tiers (they tell the tier). */
function basket(order, { prices, title = t('member.to_hand_over') }) {
  const lines = order.lines.map((line) =>
    h(
      'li',
      {},
      h('span', {}, lineWords(line)),
      line.paid_in_advance ? h('span', { class: 'paid-ahead' }, t(aheadKey(line))) : null,
      prices && !line.paid_in_advance ? h('span', { class: 'amount' }, money(line.due_cents)) : null,
    ),
  );
  const shorts = (order.shorts ?? []).map((short) => {
    const line = order.lines.find((item) => item.product_id === short.productId);
    const name = line?.product_name ?? productName(short.productId);
    const kg = line?.sold_by === 'kg';
    return h(
      'p',
      { class: 'message shortage', role: 'note' },
      t('member.short', {
        product: name,
        receives: kg ? formatGrams(short.receives) : short.receives,
        ordered: kg ? formatGrams(short.ordered) : short.ordered,
      }),
    );
  });
  const swaps = order.lines
    .filter((line) => line.by_product_id)
    .map((line) =>
      h(
        'p',
        { class: 'message substitution', role: 'note' },
        t('member.swapped', { product: line.replaces ?? productName(line.product_id), by: line.product_name, price: unitPrice(line) }),
      ),
    );
  return h(
    'section',
    { 'aria-labelledby': 'basket-title', class: 'to-hand-over' },
    h('h2', { id: 'basket-title' }, title),
    lines.length ? h('ul', { class: 'basket' }, lines) : h('p', {}, t('member.empty_order')),
    shorts,
    swaps,
  );
}

/** The balances the accounts hold ("Compte prépayé : 5,00 € · Allocation solidaire : 4,00 €"). */
function balancesText(held) {
  const parts = [];
  if (held.prepaid) parts.push(t('member.balance_prepaid', { amount: money(held.prepaid) }));
  if (held.allowance) parts.push(t('member.balance_allowance', { amount: money(held.allowance) }));
  return parts.join(' · ');
}

/** Under an account's payment row: what it may pay; for the allowance held back by the basket's agreed products,
 * its balance too, so the cap is not read as the balance. */
function availableText(method, available, held) {
  if (method === 'allowance' && available.allowance < held.allowance) {
    return t('pay.allowance.available_capped', { amount: money(available.allowance), balance: money(held.allowance) });
  }
  return t('pay.available', { amount: money(available[method]) });
}

// Errors next to their field: the message after the field, tied to it by aria-describedby, the field aria-invalid.

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

function handoverForm(
  member,
  order,
  { paidCents, available, balances = available, held = balances, showTier, known = new Map() },
) {
  const methods = (state.index.pack.network.payment_methods ?? []).filter((method) => METHODS.includes(method));
  const form = h('form', { id: 'handover-form', novalidate: true });
  const error = h('p', { id: 'member-error', class: 'message message-error', role: 'alert', hidden: true });
  // "One cheque per producer": who each cheque is made out to, and for how much (the producer's lines' due). Once
  // part of the order is paid, the split is the volunteer's (one cheque, or "Autre paiement").
  const producers = state.index.pack.producers ?? [];
  const groups = chequeGroups(order, producers);
  const splitCheques = !paidCents && groups.length > 1 ? groups : null;
  const onePayee = groups.length === 1 ? groups[0].producerId : null;
  const payeeName = (producerId) =>
    producers.find((producer) => producer.id === producerId)?.payee ?? t('pay.payee_network');
  // Lines sold by weight are weighed first: what is owed follows the weights typed (pricing.js `dueFor`).
  const weighedLines = order.lines.filter((line) => line.sold_by === 'kg');
  const weightInputs = weighedLines.map((line) =>
    h('input', {
      id: fieldId('weight'),
      type: 'text',
      inputmode: 'decimal',
      autocomplete: 'off',
      class: 'weight-input',
      placeholder: t('weight.placeholder'),
      dataset: { product: line.product_id },
    }),
  );
  const weights = weighedLines.length
    ? h(
        'section',
        { id: 'weights', class: 'weights', 'aria-labelledby': 'weights-title' },
        h('h2', { id: 'weights-title' }, t('weight.title')),
        weightInputs.map((input, index) =>
          field(t('weight.label', { product: weighedLines[index].product_name, weight: formatGrams(weighedLines[index].quantity) }), input),
        ),
      )
    : null;
  // A weight that reads as one takes its error away at once (a wrong one is said on confirming).
  for (const input of weightInputs) {
    input.addEventListener('input', () => {
      if (!input.value.trim() || parseGrams(input.value) !== null) liveFieldError(input, null);
    });
  }
  /** Product id → grams, for the weights typed that read as a weight. */
  function weighed() {
    const map = new Map();
    for (const input of weightInputs) {
      const grams = parseGrams(input.value);
      if (grams !== null) map.set(Number(input.dataset.product), grams);
    }
    return map;
  }
  /** Mark the weights that are missing (`required`: every weighed line is handed over) or are no weight. */
  function checkWeights(required) {
    weightInputs.forEach((input, index) => {
      const typed = input.value.trim();
      const product = weighedLines[index].product_name;
      if (!typed && required) fieldError(input, t('weight.missing', { product }));
      else if (typed && parseGrams(typed) === null) fieldError(input, t('weight.bad', { product }));
    });
  }
  const owedAll = () => Math.max(0, dueFor(order, 'all', undefined, weighed()).dueCents - paidCents);

  // The common cases: everything handed over, paid at once.
  const quick = h('section', { class: 'quick', 'aria-labelledby': 'to-collect-label' });
  quick.append(
    h(
      'p',
      { class: 'to-collect' },
      h('span', { id: 'to-collect-label' }, t(owedAll() ? 'member.to_collect' : 'member.nothing_to_collect')),
      owedAll() ? h('strong', { id: 'to-collect', class: 'amount' }, money(owedAll())) : null,
    ),
  );
  const quickButton = (key, run) => {
    const button = h('button', { type: 'button', class: 'quick-button' }, t(key));
    button.addEventListener('click', () => run(button));
    return button;
  };
  let quickGiven = null;
  let quickChange = null;
  let quickCheque = null;
  let quickCheques = [];
  const accounts = ACCOUNT_METHODS.filter((method) => methods.includes(method));
  const covered = accounts.reduce((sum, method) => sum + available[method], 0);
  if (!owedAll()) {
    quick.append(quickButton('member.quick_free', (button) => quickRecord(button, { method: null })));
  } else {
    // The accounts first when they cover it all: the household's money is already there.
    if (accounts.length && covered >= owedAll()) {
      // The button names the account it takes from (the allowance first, as accountSplit does).
      const split = accountSplit(owedAll(), available);
      const key = split.prepaid && split.allowance ? 'member.quick_both' : split.allowance ? 'member.quick_allowance' : 'member.quick_prepaid';
      quick.append(quickButton(key, (button) => quickRecord(button, { method: 'account' })));
    }
    if (methods.includes('cash')) {
      quickGiven = h('input', {
        id: 'quick-given',
        type: 'text',
        inputmode: 'decimal',
        autocomplete: 'off',
      });
      quickChange = h('output', { id: 'quick-change', class: 'change-big', 'aria-live': 'polite', for: 'quick-given' });
      quick.append(
        h(
          'div',
          { class: 'quick-row' },
          h('div', { class: 'quick-field' }, h('label', { for: quickGiven.id }, t('member.quick_given')), quickGiven),
          quickButton('member.quick_cash', (button) => quickRecord(button, { method: 'cash' })),
        ),
        quickChange,
      );
      // The large line shows only the change; a problem goes to the field's note, under it (never both).
      quickGiven.addEventListener('input', () => {
        const typed = quickGiven.value.trim();
        const given = parseCents(quickGiven.value);
        const problem = !typed
          ? null
          : given === null
            ? t('pay.bad_amount', { label: t('member.quick_given') })
            : given < owedAll()
              ? t('member.quick_given_short')
              : null;
        liveFieldError(quickGiven, problem, quickGiven.closest('.quick-row'));
        quickChange.textContent = typed && !problem && given > owedAll() ? t('pay.change', { amount: money(given - owedAll()) }) : '';
      });
    }
    if (methods.includes('cheque') && splitCheques) {
      // One number field per producer, then one tap records one payment per cheque.
      const fields = splitCheques.map((group, i) => {
        const input = h('input', {
          id: `quick-cheque-${i + 1}`,
          type: 'text',
          inputmode: 'numeric',
          autocomplete: 'off',
          maxlength: MAX_DETAILS,
          dataset: { payee: group.producerId ?? '', cents: group.cents },
        });
        quickCheques.push(input);
        return field(t('member.quick_cheque_for', { payee: payeeName(group.producerId), amount: money(group.cents) }), input);
      });
      const button = h('button', { type: 'button', class: 'quick-button' }, t('member.quick_cheques', { n: splitCheques.length }));
      button.addEventListener('click', () => quickRecord(button, { method: 'cheques' }));
      quick.append(
        h('fieldset', { class: 'quick-cheques' }, h('legend', {}, t('member.quick_cheques_legend')), ...fields),
        button,
      );
    } else if (methods.includes('cheque')) {
      quickCheque = h('input', {
        id: 'quick-cheque',
        type: 'text',
        inputmode: 'numeric',
        autocomplete: 'off',
        maxlength: MAX_DETAILS,
      });
      quick.append(
        h(
          'div',
          { class: 'quick-row' },
          h(
            'div',
            { class: 'quick-field' },
            h(
              'label',
              { for: quickCheque.id },
              onePayee !== null ? t('member.quick_cheque_number_to', { payee: payeeName(onePayee) }) : t('member.quick_cheque_number'),
            ),
            quickCheque,
          ),
          quickButton('member.quick_cheque', (button) => quickRecord(button, { method: 'cheque' })),
        ),
      );
    }
    const balanceWords = balancesText(held);
    if (balanceWords && covered < owedAll()) quick.append(h('p', { class: 'muted balances' }, balanceWords));
  }

  // The hand-over's other outcomes.
  const outcomes = ['all', 'partial', 'refused'].map((outcome) =>
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'radio', name: 'outcome', value: outcome, checked: outcome === 'all' }),
      t(`handover.${outcome}`),
    ),
  );
  const quantities = order.lines.filter((line) => line.sold_by !== 'kg').map((line) => {
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
  // "Remplacer par…": a line given as another product sold the same way, at its full price (substitutions.js);
  // the quantity typed (or the weight) is what is given of it.
  const swapSelects = order.lines
    .filter((line) => !line.paid_in_advance)
    .map((line) => {
      const choices = [...known].filter(
        ([id, product]) => id !== line.product_id && id !== line.by_product_id && product.soldBy === (line.sold_by ?? 'piece'),
      );
      if (!choices.length) return null;
      return h(
        'select',
        { id: fieldId('swap'), class: 'swap-input', dataset: { product: line.product_id } },
        h('option', { value: '' }, t('swap.none')),
        choices.map(([id, product]) =>
          h('option', { value: String(id) }, t('swap.option', { product: product.name, price: unitPrice({ unit_price_cents: product.unitPriceCents, sold_by: product.soldBy }) })),
        ),
      );
    })
    .filter(Boolean);
  const partial = h(
    'div',
    { id: 'partial-lines', class: 'partial-lines', hidden: true },
    quantities,
    weighedLines.length ? h('p', { class: 'muted' }, t('weight.partial')) : null,
    swapSelects.length
      ? h(
          'div',
          { class: 'swaps' },
          h('p', { class: 'muted' }, t('swap.help')),
          swapSelects.map((select) =>
            field(t('swap.label', { product: order.lines.find((line) => line.product_id === Number(select.dataset.product)).product_name }), select),
          ),
        )
      : null,
  );
  const note = h('textarea', { id: fieldId('note'), name: 'note', rows: 2, maxlength: 500 });
  const otherHandover = h(
    'details',
    { id: 'other-handover', class: 'disclosure' },
    h('summary', {}, t('member.other_handover')),
    h('fieldset', {}, h('legend', {}, t('handover.legend')), outcomes),
    partial,
    field(t('handover.note'), note),
  );

  // Other payments: every method of the network, split as wished.
  const dueAmount = h('strong', { id: 'due-amount', class: 'amount' });
  const solidarity = h('small', { class: 'muted' });
  const rows = h('div', { class: 'methods' });
  const summary = h('output', { id: 'pay-summary', class: 'pay-summary', 'aria-live': 'polite' });
  const payment = h(
    'fieldset',
    { id: 'payment' },
    h('legend', {}, t('pay.legend')),
    h('p', { class: 'due' }, h('span', {}, t('pay.due')), dueAmount),
    showTier ? solidarity : null,
    rows,
  );
  const otherPayment = h(
    'details',
    { id: 'other-payment', class: 'disclosure' },
    h('summary', {}, t('member.other_payment')),
    payment,
  );

  let chequeCount = 0;
  const addRow = (method) => {
    if (ACCOUNT_METHODS.includes(method) && available[method] <= 0) return null;
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
      const payee = row.querySelector('.payee-input');
      const group = splitCheques && payee ? chequeGroups(order, producers, weighed()).find((g) => String(g.producerId ?? '') === payee.value) : null;
      if (group) left = Math.min(left, group.cents);
      input.value = left > 0 ? centsForInput(left) : '';
      update();
      (row.querySelector('.details-field:not([hidden]) input') ?? input).focus();
    });
    if (ACCOUNT_METHODS.includes(method)) {
      row.append(h('small', { class: 'muted' }, availableText(method, available, held)));
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
    if (method === 'cheque' && producers.length) {
      // Made out to: the producer of the lines this cheque pays (the n-th producer for the n-th cheque), changeable.
      const proposed = groups[number - 1]?.producerId ?? onePayee;
      const payee = h(
        'select',
        { id: fieldId('payee'), class: 'payee-input' },
        ...producers.map((producer) => h('option', { value: producer.id, selected: producer.id === proposed }, producer.payee)),
        h('option', { value: '', selected: proposed === null }, t('pay.payee_network')),
      );
      row.append(field(t('pay.cheque.payee'), payee, { details: true }));
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
  // Built when "Autre paiement" first opens: the one-tap screen draws faster without them.
  const buildRows = () => {
    if (rows.childElementCount) return;
    for (const method of methods) append(rows, addRow(method));
    // One cheque row per producer, each proposing its payee.
    const firstCheque = rows.querySelector('.method[data-method="cheque"]');
    const another = firstCheque?.querySelector('button:not(.rest)');
    for (let i = 1; splitCheques && i < splitCheques.length; i += 1) another.before(addRow('cheque'));
  };

  // The confirm bar, above the tab bar: the detailed confirmation (once a disclosure is in use) and the way out.
  const confirm = h('button', { type: 'submit', id: 'member-confirm' }, t('member.confirm'));
  // "Payé · reste à payer" rides in the bar, in sight while the list of methods scrolls under it.
  const bar = h('div', { class: 'confirm-bar' }, error, summary, confirm);

  form.append(weights ?? '', quick, h('div', { class: 'disclosures' }, otherHandover, otherPayment), bar);

  // Reading what is typed.
  function outcome() {
    return form.querySelector('input[name=outcome]:checked')?.value ?? 'all';
  }
  /** Partial: product id → quantity received; a weighed line is received when it is weighed (its grams). */
  function received() {
    const map = new Map();
    for (const input of partial.querySelectorAll('input')) map.set(Number(input.dataset.product), Number(input.value));
    for (const [product, grams] of weighed()) map.set(product, grams);
    return map;
  }
  /** Partial: product id → what was given in its place (`substituted`), for the lines "Remplacer par…" names; a
   * weighed line is given when its weight is typed. */
  function swapped() {
    const map = new Map();
    if (outcome() !== 'partial') return map;
    const grams = weighed();
    for (const select of swapSelects) {
      if (!select.value) continue;
      const productId = Number(select.dataset.product);
      const line = order.lines.find((item) => item.product_id === productId);
      const product = known.get(Number(select.value));
      const input = partial.querySelector(`input[data-product="${productId}"]`);
      const quantity = line.sold_by === 'kg' ? grams.get(productId) : Number(input?.value ?? line.quantity);
      if (!product || !(quantity > 0)) continue;
      map.set(productId, { by_product_id: Number(select.value), quantity, unit_price_cents: product.unitPriceCents });
    }
    return map;
  }
  function due() {
    return dueFor(order, outcome(), outcome() === 'partial' ? received() : undefined, weighed(), swapped());
  }
  function toPay() {
    return Math.max(0, due().dueCents - paidCents);
  }
  function readRows() {
    return [...rows.querySelectorAll('.method')].map((row) => {
      const input = row.querySelector('.amount-input:not(.given-input)');
      return {
        row,
        input,
        method: row.dataset.method,
        label: input.getAttribute('aria-label'),
        cents: parseCents(input.value),
        details: row.querySelector('.details-input')?.value.trim() ?? '',
        detailsInput: row.querySelector('.details-input'),
        payee: row.querySelector('.payee-input')?.value ? Number(row.querySelector('.payee-input').value) : null,
      };
    });
  }
  /** Detailed: a disclosure is in use, so the one-tap buttons (all handed over, paid at once) step aside. */
  function detailed() {
    return otherPayment.open || outcome() !== 'all';
  }

  function update() {
    const current = outcome();
    partial.hidden = current !== 'partial';
    otherPayment.hidden = current === 'refused';
    if (current === 'partial' && !otherPayment.open) otherPayment.open = true;
    if (otherPayment.open) buildRows();
    quick.hidden = detailed();
    bar.hidden = !detailed() && error.hidden;
    confirm.hidden = !detailed();
    summary.hidden = !otherPayment.open || current === 'refused';
    const { solidarityCents } = due();
    const owed = toPay();
    dueAmount.textContent = money(owed);
    const toCollect = form.querySelector('#to-collect');
    if (toCollect) toCollect.textContent = money(owedAll());
    // Each producer's cheque follows the weights typed, as the amount to collect does.
    if (quickCheques.length) {
      const now = chequeGroups(order, producers, weighed());
      for (const input of quickCheques) {
        const group = now.find((g) => String(g.producerId ?? '') === input.dataset.payee);
        const cents = group ? group.cents : 0;
        input.dataset.cents = cents;
        const label = form.querySelector(`label[for="${input.id}"]`);
        if (label) label.textContent = t('member.quick_cheque_for', { payee: payeeName(group?.producerId ?? null), amount: money(cents) });
      }
    }
    if (weights) weights.hidden = current === 'refused';
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
    // Red only once something is typed that does not add up (not before the volunteer starts).
    summary.classList.toggle('warning', paid > 0 && paid !== owed);
    const change = form.querySelector('#pay-change');
    if (change) {
      const cash = read.find((r) => r.method === 'cash')?.cents ?? 0;
      const givenInput = form.querySelector('#pay-given');
      const given = parseCents(givenInput.value);
      const problem =
        given === null ? t('pay.bad_amount', { label: t('pay.given') }) : given > 0 && given < cash ? t('pay.given_short') : null;
      liveFieldError(givenInput, problem);
      change.textContent = !problem && given ? t('pay.change', { amount: money(given - cash) }) : '';
    }
  }
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  otherPayment.addEventListener('toggle', update);
  otherHandover.addEventListener('toggle', update);
  update();

  // Enter moves to the next field rather than submitting half a payment (phones show "Go" on every field).
  form.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.target.tagName !== 'INPUT') return;
    event.preventDefault();
    const fields = [...form.querySelectorAll('input:not([type=radio]), textarea, button')].filter(
      (element) => element.offsetParent !== null,
    );
    fields[fields.indexOf(event.target) + 1]?.focus();
  });

  function showErrors(problems) {
    const [first] = form.querySelectorAll('[aria-invalid=true]');
    if (problems.length) {
      error.textContent = problems.join(' ');
      error.hidden = false;
      bar.hidden = false;
    }
    first?.focus();
  }

  /** One tap: everything handed over, what is owed paid at once (`method` null: nothing to collect). */
  async function quickRecord(button, { method }) {
    clearErrors(form);
    error.hidden = true;
    checkWeights(true);
    const owed = owedAll();
    const parts = [];
    let accounts = { prepaid: 0, allowance: 0 };
    let givenCents = 0;
    if (method === 'cash') {
      const given = parseCents(quickGiven.value);
      if (given === null) fieldError(quickGiven, t('pay.bad_amount', { label: t('member.quick_given') }), quickGiven.closest('.quick-row'));
      else if (given > 0 && given < owed) fieldError(quickGiven, t('member.quick_given_short'), quickGiven.closest('.quick-row'));
      else givenCents = given;
      parts.push({ method: 'cash', cents: owed, details: null });
    } else if (method === 'cheque') {
      const number = quickCheque.value.trim();
      if (!number) fieldError(quickCheque, t('pay.cheque.details_missing'), quickCheque.closest('.quick-row'));
      parts.push({ method: 'cheque', cents: owed, details: number, payee: onePayee });
    } else if (method === 'cheques') {
      for (const input of quickCheques) {
        const number = input.value.trim();
        if (!number) fieldError(input, t('pay.cheque.details_missing'));
        const payee = input.dataset.payee ? Number(input.dataset.payee) : null;
        parts.push({ method: 'cheque', cents: Number(input.dataset.cents), details: number, payee });
      }
    } else if (method === 'account') {
      accounts = accountSplit(owed, available);
      if (accounts.prepaid + accounts.allowance < owed && !form.querySelector('[aria-invalid=true]')) {
        showErrors([t('weight.accounts_short', { amount: money(owed) })]);
        return;
      }
    }
    if (form.querySelector('[aria-invalid=true]')) {
      showErrors([]);
      return;
    }
    const what = { outcome: 'all', owed, paid: owed, cashCents: method === 'cash' ? owed : 0, givenCents, accounts };
    await commit(button, { handover: handoverPayload('all', received()), parts, accounts, solidarity: due().solidarityCents, what });
  }

  function handoverPayload(chosen, quantities) {
    const text = note.value.trim();
    const grams = chosen === 'refused' ? new Map() : weighed();
    const swaps = chosen === 'partial' ? swapped() : new Map();
    // Every other line given whole with something replaced: the whole order was handed over, one line as another.
    const whole =
      swaps.size > 0 &&
      order.lines.every((line) =>
        swaps.has(line.product_id) || (line.sold_by === 'kg' ? grams.has(line.product_id) : quantities.get(line.product_id) === line.quantity),
      );
    const kept = (line) => !swaps.has(line.product_id);
    return {
      order_id: order.id,
      outcome: whole ? 'all' : chosen,
      lines:
        chosen === 'partial' && !whole
          ? order.lines
              .filter((line) => kept(line) && quantities.get(line.product_id) > 0)
              .map((line) => ({ product_id: line.product_id, quantity_received: quantities.get(line.product_id) }))
          : [],
      substitution_note: text ? text.slice(0, 500) : null,
      weighed: weighedLines
        .filter((line) => kept(line) && grams.has(line.product_id))
        .map((line) => ({ product_id: line.product_id, grams: grams.get(line.product_id) })),
      substituted: [...swaps].map(([productId, item]) => ({ product_id: productId, ...item })),
    };
  }

  /**
   * Record the hand-over and its payments in one transaction, once the volunteer's shift is checked and, after
   * this phone's closing count, the volunteer said yes; then close with what was recorded.
   */
  async function commit(button, { handover, parts, accounts, solidarity: solidarityCents, what }) {
    if (!(await recordingShift())) {
      showErrors([t('member.no_shift')]);
      return;
    }
    if (what.paid < what.owed) {
      const yes = await ask({
        title: t('pay.incomplete_title'),
        text: t('pay.incomplete', { name: member.display_name, left: money(what.owed - what.paid) }),
        yes: t('pay.incomplete_yes'),
      });
      if (!yes) return;
    }
    const closing = lastClosing(await distributionView(state.distributionId));
    if (closing) {
      const at = formatClock(closing.device_time);
      const yes = await ask({
        title: t('member.closed_title'),
        text: what.cashCents
          ? t('member.closed_cash', { at, amount: money(what.cashCents) })
          : t('member.closed_other', { at }),
        yes: t('member.closed_yes'),
      });
      if (!yes) return;
    }
    const payments =
      handover.outcome === 'refused'
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
      await busy(button, () => recordMany(events, { distributionId: state.distributionId }));
    } catch (caught) {
      showErrors([t('member.record_failed', { message: caught.message })]);
      return;
    }
    const words = [t(`outcome.${handover.outcome}`)];
    if (handover.outcome !== 'refused') {
      words.push(what.paid ? t('member.recorded_paid', { paid: money(what.paid) }) : t('member.recorded_unpaid'));
      if (what.paid < what.owed) words.push(t('member.recorded_left', { left: money(what.owed - what.paid) }));
      for (const kind of ['allowance', 'prepaid']) {
        // What the account keeps, said where the volunteer reads the confirmation ("reste 108,40 € sur l'allocation"):
        // what it holds, not the prepaid floor nor the basket's allowance cap.
        if (what.accounts?.[kind]) {
          words.push(t(`member.recorded_${kind}_left`, { amount: money(held[kind] - what.accounts[kind]) }));
        }
      }
      const change = what.givenCents - what.cashCents;
      if (what.givenCents && change > 0) words.push(t('member.recorded_change', { amount: money(change) }));
    }
    await close(t('member.recorded', { name: fullName(member), what: words.join(', ') }));
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!detailed()) return; // Enter with nothing chosen: the one-tap buttons are the confirmation
    clearErrors(form);
    error.hidden = true;
    const chosen = outcome();
    const quantities = chosen === 'partial' ? received() : new Map();
    if (chosen !== 'refused') checkWeights(chosen === 'all');
    if (chosen === 'partial') {
      for (const line of order.lines) {
        if (line.sold_by === 'kg') continue; // weighed: a weight typed is what was received
        const quantity = quantities.get(line.product_id);
        if (!Number.isInteger(quantity) || quantity < 0 || quantity > line.quantity) {
          const input = partial.querySelector(`input[data-product="${line.product_id}"]`);
          fieldError(input, t('handover.bad_quantity', { product: line.product_name, quantity: line.quantity }));
        }
      }
      // A line replaced by a product sold by weight is given when weighed: the weight of what is given.
      for (const select of swapSelects) {
        const index = weighedLines.findIndex((line) => line.product_id === Number(select.dataset.product));
        if (!select.value || index < 0 || weighed().has(weighedLines[index].product_id)) continue;
        fieldError(weightInputs[index], t('weight.missing', { product: known.get(Number(select.value))?.name ?? '' }));
      }
      if (!form.querySelector('[aria-invalid=true]') && ![...quantities.values()].some((quantity) => quantity > 0)) {
        fieldError(partial.querySelector('input') ?? weightInputs[0], t('handover.nothing'));
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
          fieldError(read.input, t('pay.bad_amount', { label: read.label }), read.input.closest('.inline'));
          continue;
        }
        if (ACCOUNT_METHODS.includes(read.method)) {
          accounts[read.method] += read.cents;
          if (read.cents > available[read.method]) {
            const capped = read.method === 'allowance' && available.allowance < held.allowance;
            const over = capped ? 'pay.allowance.over_capped' : `pay.${read.method}.over`;
            fieldError(read.input, t(over, { amount: money(available[read.method]) }), read.input.closest('.inline'));
          }
          continue;
        }
        if (read.cents > 0 && DETAILS[read.method]?.required && !read.details) {
          fieldError(read.detailsInput, t(`pay.${read.method}.details_missing`));
        }
        if (read.method === 'cash') cashCents += read.cents;
        parts.push({ method: read.method, cents: read.cents, details: read.details || null, payee: read.payee });
      }
      const givenInput = form.querySelector('#pay-given');
      const given = givenInput ? parseCents(givenInput.value) : 0;
      if (given === null) fieldError(givenInput, t('pay.bad_amount', { label: t('pay.given') }));
      else if (given > 0 && given < cashCents) fieldError(givenInput, t('pay.given_short'));
      else givenCents = given;
    }
    const paid = parts.reduce((sum, part) => sum + part.cents, 0) + accounts.prepaid + accounts.allowance;
    const problems = [];
    if (paid > owed) problems.push(t('pay.too_much', { paid: money(paid), due: money(owed) }));
    if (form.querySelector('[aria-invalid=true]') || problems.length) {
      if (problems.length) {
        const first = readRows().find((read) => read.cents)?.input;
        if (first) fieldError(first, problems[0], summary);
        else showErrors(problems);
      }
      showErrors([]);
      return;
    }
    const what = { outcome: chosen, owed, paid, cashCents, givenCents };
    await commit(confirm, { handover: handoverPayload(chosen, quantities), parts, accounts, solidarity: solidarityCents, what });
  });
  return form;
}

registerScreen('member', { render, leave, redraw: false });
