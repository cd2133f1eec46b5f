// The lists: who collected and who has not yet, with counts, as this phone knows it (its own hand-overs and the
// other phones' once pulled). "Remis" counts whole and partial hand-overs, as the server does; a member who refused
// their basket is still in "Pas encore remis" (marked), since they may come back. Members are named and ordered as
// the search shows them: full names, by last name (the paper sign-off sheet's order), namesakes told apart.
import { recordMany } from '../events.js';
import { t } from '../i18n.js';
import { byName } from '../packs.js';
import { distributionView } from '../projection.js';
import { shortages, shorted } from '../shortages.js';
import { $, ask, busy, h, say } from '../ui/dom.js';
import { clearErrors, fieldError, liveFieldError } from '../ui/field-error.js';
import { formatCents, formatClock, formatGrams } from '../ui/format.js';
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
  const shorts = shortages(
    pack.members.map((member) => member.order),
    live,
  );
  const items = shown.map(({ member, status }) =>
    memberChoice(
      member,
      index,
      detail(status, member, pack.network.currency, shorted(member.order, shorts.get(member.order.id))),
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
    h('div', { class: 'undo-slot' }),
  );
  await renderUndo();
}

/** The products of the day's orders, by name: id → {name, soldBy}. */
function products(pack) {
  const found = new Map();
  for (const member of pack.members) {
    for (const line of member.order.lines) {
      if (!found.has(line.product_id)) found.set(line.product_id, { name: line.product_name, soldBy: line.sold_by ?? 'piece' });
    }
  }
  return new Map([...found].sort((a, b) => a[1].name.localeCompare(b[1].name)));
}

/**
 * "Manquants": a product delivered short for the whole distribution, recorded once (a `shortage` event), and the
 * shortages this phone knows. The members who have not collected yet share what was delivered (shortages.js).
 */
function shortageSection(pack, live) {
  const known = new Map();
  for (const event of live) if (event.type === 'shortage') known.set(event.payload.product_id, event);
  const all = products(pack);
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

registerScreen('lists', { render });
