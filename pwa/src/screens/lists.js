// The lists: who collected and who has not yet, with counts, as this phone knows it (its own hand-overs and the
// other phones' once pulled). "Remis" counts whole and partial hand-overs, as the server does; a member who refused
// their basket is still in "Pas encore remis" (marked), since they may come back. Members are named and ordered as
// the search shows them: full names, by last name (the paper sign-off sheet's order), namesakes told apart.
import { t } from '../i18n.js';
import { byName } from '../packs.js';
import { distributionView } from '../projection.js';
import { $, h } from '../ui/dom.js';
import { formatCents, formatClock } from '../ui/format.js';
import { memberChoice } from '../ui/member-choice.js';
import { registerScreen } from '../ui/nav.js';
import { state } from '../ui/state.js';
import { renderUndo } from '../ui/undo.js';
import { openMember } from './member.js';

let tab = 'waiting';

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
  const items = shown.map(({ member, status }) =>
    memberChoice(member, index, detail(status, member, pack.network.currency), () =>
      openMember(member, { from: 'lists' }),
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
    h('div', { class: 'undo-slot' }),
  );
  await renderUndo();
}

registerScreen('lists', { render });
