// One member in a list to choose from (the scan screen's search results, the lists): the full name, what tells a
// namesake apart (their basket, else their member number: things the member can confirm, never an amount or a
// tier), then where their order stands.
import { t } from '../i18n.js';
import { basketText, fullName } from '../packs.js';
import { h } from './dom.js';

/**
 * @param {object} member a pack member
 * @param {import('../packs.js').PackIndex} index the pack's index (for namesakes)
 * @param {string} status where the order stands, e.g. `14,28 € à payer`
 * @param {() => void} onChoose
 * @returns {HTMLLIElement}
 */
export function memberChoice(member, index, status, onChoose) {
  const tell = index.tell(member);
  const basket = tell?.basket ? basketText(member) : '';
  const button = h(
    'button',
    { type: 'button', class: 'outline member-choice' },
    h('strong', {}, fullName(member)),
    basket ? h('small', { class: 'member-tell' }, basket) : null,
    tell?.number ? h('small', { class: 'member-tell' }, t('scan.search_number', { number: member.id })) : null,
    h('small', {}, status),
  );
  button.addEventListener('click', onChoose);
  return h('li', {}, button);
}
