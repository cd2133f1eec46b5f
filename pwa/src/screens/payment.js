// From what the volunteer typed on the member screen to the events the protocol wants (docs/sync-protocol.md,
// `payment`). Pure functions: no DOM, no storage.
//
// One payment event settles `amount_cents` of an order; `from_prepaid_cents` and `from_allowance_cents` of it come
// from the household's accounts and the rest is paid by `method`. So the accounts ride on the first event paid by
// another method (cash, cheque…); each further method (a second cheque, a card) is an event of its own; when the
// accounts pay everything, the one event names the account method. The network's solidarity share for what was
// handed over goes on the first event only, so that it is counted once. What is owed is pricing.js's `dueFor`.

/** Account methods: their amount comes out of the household's balance. */
export const ACCOUNT_METHODS = ['prepaid', 'allowance'];
/** The methods the app knows how to take, in the protocol's order (sync.vocabulary.PAYMENT_METHODS). */
export const METHODS = ['cash', 'cheque', 'card', 'transfer', 'prepaid', 'allowance', 'local_currency'];
/** Methods whose reference the volunteer types, and whether it is required. */
export const DETAILS = { cheque: { required: true }, card: { required: false }, transfer: { required: false } };
/** The longest method_details the protocol accepts. */
export const MAX_DETAILS = 200;

/**
 * The payment payloads for an order.
 * @param {{orderId: number, parts: Array<{method: string, cents: number, details?: string|null}>,
 *   prepaidCents?: number, allowanceCents?: number, solidarityCents?: number}} paid `parts`: the non-account
 *   methods in the order typed (zero amounts are skipped)
 * @returns {object[]} payloads for `record('payment', …)`, possibly none
 */
export function paymentPayloads({ orderId, parts, prepaidCents = 0, allowanceCents = 0, solidarityCents = 0 }) {
  const others = parts.filter((part) => part.cents > 0);
  const payloads = [];
  if (!others.length) {
    if (prepaidCents + allowanceCents > 0) {
      payloads.push({
        order_id: orderId,
        amount_cents: prepaidCents + allowanceCents,
        method: allowanceCents > 0 ? 'allowance' : 'prepaid',
        from_prepaid_cents: prepaidCents,
        from_allowance_cents: allowanceCents,
      });
    }
  } else {
    others.forEach((part, i) => {
      const accounts = i === 0 ? { prepaid: prepaidCents, allowance: allowanceCents } : { prepaid: 0, allowance: 0 };
      const details = part.details?.trim();
      payloads.push({
        order_id: orderId,
        amount_cents: part.cents + accounts.prepaid + accounts.allowance,
        method: part.method,
        method_details: details ? details.slice(0, MAX_DETAILS) : null,
        from_prepaid_cents: accounts.prepaid,
        from_allowance_cents: accounts.allowance,
      });
    });
  }
  if (payloads.length && solidarityCents > 0) payloads[0].solidarity_cents = solidarityCents;
  return payloads;
}

/**
 * How an amount is taken from the household's accounts when they cover it in one tap: the solidarity allowance
 * first (it is there for the baskets), then the prepaid account.
 * @param {number} cents what is owed
 * @param {{prepaid: number, allowance: number}} available what each account still holds today
 * @returns {{prepaid: number, allowance: number}}
 */
export function accountSplit(cents, available) {
  const allowance = Math.min(cents, Math.max(0, available.allowance));
  const prepaid = Math.min(cents - allowance, Math.max(0, available.prepaid));
  return { prepaid, allowance };
}
