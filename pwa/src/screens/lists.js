// The lists: who collected and who has not yet, with counts, as this phone knows it (its own hand-overs and the
// other phones' once pulled). "Remis" counts whole and partial hand-overs, as the server does; a member who refused
// their basket is still in "Pas encore remis" (marked), since they may come back.
import { t } from '../i18n.js';
import { distributionView } from '../projection.js';
import { $, h } from '../ui/dom.js';
import { formatCents, formatClock } from '../ui/format.js';
import { registerScreen } from '../ui/nav.js';
import { state } from '../ui/state.js';
import { renderUndo } from '../ui/undo.js';
import { openMember } from './member.js';

let tab = 'waiting';
const collator = new Intl.Collator('fr', { sensitivity: 'base' });

function detail(status, member, currency) {
  if (status?.outcome === 'all' || status?.outcome === 'partial') {
    const by = status.by === 'this_device' ? t('lists.by_this') : t('lists.by_other');
    return `${t(`lists.status_${status.outcome}`)} · ${formatClock(status.at)} · ${by}`;
  }
  const due = t('lists.to_pay', { amount: formatCents(member.order.total_due_cents, currency) });
  if (status?.outcome === 'refused') return `${t('lists.status_refused')} · ${formatClock(status.at)} · ${due}`;
  return due;
}

async function render() {
  const root = $('lists-body');
  if (!state.index) {
    root.replaceChildren(h('p', {}, t('lists.no_distribution')));
    return;
  }
  const { pack } = state.index;
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
    list.sort((a, b) => collator.compare(a.member.display_name, b.member.display_name) || a.member.id - b.member.id);
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
  const items = shown.map(({ member, status }) => {
    const button = h(
      'button',
      { type: 'button', class: 'outline member-choice' },
      h('strong', {}, member.display_name),
      h('small', {}, detail(status, member, pack.network.currency)),
    );
    button.addEventListener('click', () => openMember(member, { from: 'lists' }));
    return h('li', {}, button);
  });
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
    h('div', { class: 'undo-slot' }),
  );
  await renderUndo();
}

registerScreen('lists', { render });
