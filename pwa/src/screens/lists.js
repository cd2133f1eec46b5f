// The lists: who collected and who has not yet, with counts, as this phone knows it (its own hand-overs and the
// other phones' once pulled). "Remis" counts whole and partial hand-overs, as the server does; a member who refused
// their basket is still in "Pas encore remis" (marked), since they may come back. Members are named and ordered as
// the search shows them: full names, by last name (the paper sign-off sheet's order), namesakes told apart.
import { recordMany } from '../events.js';
import { t } from '../i18n.js';
import { byName } from '../packs.js';
import { distributionView } from '../projection.js';
import { adjust, catalogue } from '../substitutions.js';
import { $, ask, busy, h, say } from '../ui/dom.js';
import { clearErrors, fieldError, liveFieldError } from '../ui/field-error.js';
import { centsForInput, formatCents, formatClock, formatGrams, parseCents } from '../ui/format.js';
import { memberChoice } from '../ui/member-choice.js';
import { registerScreen } from '../ui/nav.js';
import { recordingShift, state } from '../ui/state.js';
import { productName, renderUndo } from '../ui/undo.js';
import { openMember } from './member.js';

let tab = 'waiting';

function detail(status, member, currency, order) {
  if (status?.outcome === 'all' || status?.outcome === 'partial') {
    const by = status.by === 'this_device' ? t('lists.by_this') : t('lists.by_other');
    return `${t(`lists.status_${status.outcome}`)} · ${formatClock(status.at)} · ${by}`;
  }
  const due = t('lists.to_pay', { amount: formatCents(order.total_due_cents, currency) });
  if (status?.outcome === 'refused') return `${t('lists.status_refused')} · ${formatClock(status.at)} · ${due}`;
  return due;
}

async function render() {
  const root = $('lists-body');
  if (!state.index) {
    root.replaceChildren(h('p', {}, t('lists.no_distribution')));
    return;
  }
  const { index } = state;
  const { pack } = index;
  const view = await distributionView(state.distributionId);
  const done = [];
  const waiting = [];
  for (const member of pack.members) {
    const status = view.orders.get(member.order.id);
    (status?.status === 'collected' || status?.status === 'partially_collected' ? done : waiting).push({
      member,
      status,
    });
  }
  for (const list of [done, waiting]) {
    list.sort((a, b) => byName(a.member, b.member));
  }
  const tabs = [
    ['waiting', t('lists.waiting', { n: waiting.length })],
    ['done', t('lists.done', { n: done.length })],
  ].map(([name, label]) => {
    const button = h(
      'button',
      { type: 'button', class: name === tab ? '' : 'outline', 'aria-pressed': String(name === tab) },
      label,
    );
    button.addEventListener('click', () => {
      tab = name;
      render();
    });
    return button;
  });
  const shown = tab === 'done' ? done : waiting;
  const live = view.events.map((known) => known.event).filter((event) => !view.voided.has(event.id));
  // What each member still owes follows the day's shortages and substitutions (substitutions.js `adjust`).
  const changed = adjust(
    pack.members.map((member) => member.order),
    live,
  );
  const items = shown.map(({ member, status }) =>
    memberChoice(
      member,
      index,
      detail(status, member, pack.network.currency, changed.get(member.order.id)?.order ?? member.order),
      () => openMember(member, { from: 'lists' }),
    ),
  );
  root.replaceChildren(
    h('h1', {}, t('lists.title')),
    h(
      'p',
      { id: 'lists-summary', role: 'status' },
      t('lists.summary', { done: done.length, waiting: waiting.length, total: pack.members.length }),
    ),
    h('div', { class: 'segmented', role: 'group', 'aria-label': t('lists.which') }, tabs),
    items.length
      ? h('ul', { class: 'choices', 'aria-label': t(tab === 'done' ? 'lists.done_list' : 'lists.waiting_list') }, items)
      : h('p', { class: 'muted' }, tab === 'done' ? t('lists.none_done') : t('lists.none_waiting')),
    shortageSection(pack, live),
    substitutionSection(pack, live),
    h('div', { class: 'undo-slot' }),
  );
  await renderUndo();
}

/**
 * "Manquants": a product delivered short for the whole distribution, recorded once (a `shortage` event), and the
 * shortages this phone knows. The members who have not collected yet share what was delivered (shortages.js).
 */
function shortageSection(pack, live) {
  const known = new Map();
  for (const event of live) if (event.type === 'shortage') known.set(event.payload.product_id, event);
  const all = catalogue(pack, { withExtras: false });
  const select = h(
    'select',
    { id: 'shortage-product' },
    h('option', { value: '' }, t('shortage.choose')),
    [...all].map(([id, product]) => h('option', { value: String(id) }, product.name)),
  );
  const delivered = h('input', { id: 'shortage-delivered', type: 'text', inputmode: 'numeric', autocomplete: 'off', value: '0' });
  const unit = h('small', { class: 'muted', id: 'shortage-unit' }, t('shortage.unit_piece'));
  select.addEventListener('change', () => {
    unit.textContent = t(all.get(Number(select.value))?.soldBy === 'kg' ? 'shortage.unit_kg' : 'shortage.unit_piece');
  });
  const button = h('button', { type: 'submit', id: 'shortage-record' }, t('shortage.record'));
  const form = h(
    'form',
    { id: 'shortage-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: select.id }, t('shortage.product')), select),
    h('div', { class: 'field' }, h('label', { for: delivered.id }, t('shortage.delivered')), delivered, unit),
    button,
  );
  // What is typed again takes its error away (a wrong value is said on recording).
  form.addEventListener('input', (event) => liveFieldError(event.target, null));
  form.addEventListener('change', (event) => liveFieldError(event.target, null));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const productId = Number(select.value);
    const quantity = delivered.value.trim() === '' ? 0 : Number(delivered.value.trim());
    if (!productId) fieldError(select, t('shortage.no_product'));
    if (!Number.isInteger(quantity) || quantity < 0 || quantity > 1_000_000) fieldError(delivered, t('shortage.bad_delivered'));
    if (form.querySelector('[aria-invalid=true]')) return;
    if (!(await recordingShift())) {
      say(t('member.no_shift'));
      return;
    }
    const product = all.get(productId);
    const amount = product.soldBy === 'kg' ? formatGrams(quantity) : String(quantity);
    const yes = await ask({
      title: t('shortage.question', { product: product.name }),
      text: quantity ? t('shortage.text_some', { amount }) : t('shortage.text_none'),
      yes: t('shortage.yes'),
    });
    if (!yes) return;
    await busy(button, () =>
      recordMany([{ type: 'shortage', payload: { product_id: productId, delivered: quantity } }], {
        distributionId: state.distributionId,
      }),
    );
    say(t('shortage.recorded', { product: product.name }));
    await render();
  });
  const listed = [...known.values()].map((event) => {
    const soldBy = all.get(event.payload.product_id)?.soldBy;
    const amount = soldBy === 'kg' ? formatGrams(event.payload.delivered) : String(event.payload.delivered);
    return h(
      'li',
      {},
      event.payload.delivered
        ? t('shortage.known_some', { product: productName(event.payload.product_id), amount })
        : t('shortage.known_none', { product: productName(event.payload.product_id) }),
    );
  });
  return h(
    'details',
    { id: 'shortages', class: 'disclosure', open: listed.length > 0 },
    h('summary', {}, t('shortage.title')),
    listed.length ? h('ul', { 'aria-label': t('shortage.known') }, listed) : null,
    h('p', { class: 'muted' }, t('shortage.help')),
    form,
  );
}

/** A full price as the product is sold: "3,20 €", or per kg "22,00 €/kg". */
function priceWords(cents, soldBy, currency) {
  return soldBy === 'kg' ? t('member.per_kg', { price: formatCents(cents, currency) }) : formatCents(cents, currency);
}

/**
 * "Remplacements": a product replaced by another for the whole distribution, at the substitute's full price (a
 * `substitution` event, recorded once), and those this phone knows. The members who have not collected yet receive
 * the substitute at their tier (substitutions.js); a later one for the same product, or a shortage, corrects it.
 */
function substitutionSection(pack, live) {
  const currency = pack.network.currency;
  const known = new Map();
  for (const event of live) if (event.type === 'substitution') known.set(event.payload.product_id, event);
  const ordered = catalogue(pack, { withExtras: false });
  const all = catalogue(pack);
  const product = h(
    'select',
    { id: 'substitution-product' },
    h('option', { value: '' }, t('shortage.choose')),
    [...ordered].map(([id, item]) => h('option', { value: String(id) }, item.name)),
  );
  const by = h('select', { id: 'substitution-by' }, h('option', { value: '' }, t('shortage.choose')));
  const price = h('input', { id: 'substitution-price', type: 'text', inputmode: 'decimal', autocomplete: 'off' });
  const unit = h('small', { class: 'muted', id: 'substitution-unit' });
  // The substitutes offered are sold as the product replaced is (a line by weight stays weighed); the price
  // proposed is the substitute's in the pack, to confirm or correct.
  product.addEventListener('change', () => {
    const soldBy = ordered.get(Number(product.value))?.soldBy ?? 'piece';
    by.replaceChildren(
      h('option', { value: '' }, t('shortage.choose')),
      ...[...all]
        .filter(([id, item]) => id !== Number(product.value) && item.soldBy === soldBy)
        .map(([id, item]) => h('option', { value: String(id) }, item.name)),
    );
    unit.textContent = t(soldBy === 'kg' ? 'substitution.unit_kg' : 'substitution.unit_piece');
    price.value = '';
  });
  by.addEventListener('change', () => {
    const chosen = all.get(Number(by.value));
    price.value = chosen ? centsForInput(chosen.unitPriceCents) : '';
  });
  const button = h('button', { type: 'submit', id: 'substitution-record' }, t('substitution.record'));
  const form = h(
    'form',
    { id: 'substitution-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: product.id }, t('substitution.product')), product),
    h('div', { class: 'field' }, h('label', { for: by.id }, t('substitution.by')), by),
    h('div', { class: 'field' }, h('label', { for: price.id }, t('substitution.price')), price, unit),
    button,
  );
  form.addEventListener('input', (event) => liveFieldError(event.target, null));
  form.addEventListener('change', (event) => liveFieldError(event.target, null));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const productId = Number(product.value);
    const byId = Number(by.value);
    const cents = parseCents(price.value);
    if (!productId) fieldError(product, t('substitution.no_product'));
    else if (!byId) fieldError(by, t('substitution.no_by'));
    if (cents === null || cents <= 0 || cents > 1_000_000_000) fieldError(price, t('substitution.bad_price'));
    if (form.querySelector('[aria-invalid=true]')) return;
    if (!(await recordingShift())) {
      say(t('member.no_shift'));
      return;
    }
    const names = { product: ordered.get(productId).name, by: all.get(byId).name };
    const yes = await ask({
      title: t('substitution.question', names),
      text: t('substitution.text', { price: priceWords(cents, ordered.get(productId).soldBy, currency) }),
      yes: t('substitution.yes'),
    });
    if (!yes) return;
    await busy(button, () =>
      recordMany(
        [{ type: 'substitution', payload: { product_id: productId, by_product_id: byId, unit_price_cents: cents } }],
        { distributionId: state.distributionId },
      ),
    );
    say(t('substitution.recorded', names));
    await render();
  });
  const listed = [...known.values()].map((event) =>
    h(
      'li',
      {},
      t('substitution.known_item', {
        product: productName(event.payload.product_id),
        by: productName(event.payload.by_product_id),
        price: priceWords(event.payload.unit_price_cents, ordered.get(event.payload.product_id)?.soldBy, currency),
      }),
    ),
  );
  return h(
    'details',
    { id: 'substitutions', class: 'disclosure', open: listed.length > 0 },
    h('summary', {}, t('substitution.title')),
    listed.length ? h('ul', { 'aria-label': t('substitution.known') }, listed) : null,
    h('p', { class: 'muted' }, t('substitution.help')),
    form,
  );
}

registerScreen('lists', { render });
