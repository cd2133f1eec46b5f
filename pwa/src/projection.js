// What the phone can tell about a distribution from the events it knows: its own (in the outbox until the server
// confirms them, then in the log) and the other phones' (pulled into the log). The rules are those of the server's
// projection (sync/projection.py, docs/sync-protocol.md "Projection"), for what a screen needs at the point: is
// this order already collected, by this phone or another, how much was paid for it, what should be in this phone's
// cash box. The server's view stays the record; this is what the phone knows so far.
//
// `project(known)` is the pure part, held to the same vectors as the Python projection, sync/vectors/projection.json
// (tests/browser/test_pwa_data.py runs them here); `distributionView` feeds it what IndexedDB holds.
import { database, onDataChange, onEventsStored } from './store.js';

const OUTCOME_RANK = { refused: 1, partial: 2, all: 3 };
/** The methods that bring money in, by which a prepaid account is credited at the point (sync.vocabulary). */
export const TOP_UP_METHODS = ['cash', 'cheque', 'card', 'transfer', 'local_currency'];
const STATUS = { all: 'collected', partial: 'partially_collected', refused: 'not_collected' };

/**
 * Every event the phone knows for a distribution, in canonical order (device time, device, seq, id), each once.
 * An event recorded here is `own`; `pending` until the server confirmed it; `refused` (with the server's reason)
 * when the server refused it: a refused event still happened at the point, so it counts here.
 * @param {number} distributionId
 * @returns {Promise<Array<{event: object, own: boolean, pending: boolean, refused: object|null}>>}
 */
export async function knownEvents(distributionId) {
  const db = await database();
  const tx = db.transaction(['outbox', 'log'], 'readonly');
  const [pending, logged] = await Promise.all([
    tx.objectStore('outbox').index('distribution').getAll(distributionId),
    tx.objectStore('log').index('distribution').getAll(distributionId),
    tx.done,
  ]);
  // A sync moves an event from the outbox to the log in one transaction: the log's copy first is only a guard.
  return canonical([
    ...logged.map((entry) => ({
      event: entry.event,
      signature: entry.signature ?? null,
      own: Boolean(entry.own),
      pending: false,
      refused: null,
    })),
    ...pending.map((entry) => ({
      event: entry.event,
      signature: entry.signature ?? null,
      own: true,
      pending: true,
      refused: entry.refused ?? null,
    })),
  ]);
}

/** Known events each id once (the first given), in canonical order. */
function canonical(known) {
  const byId = new Map();
  for (const entry of known) if (!byId.has(entry.event.id)) byId.set(entry.event.id, entry);
  return [...byId.values()].sort((a, b) => compareEvents(a.event, b.event));
}

function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The canonical order of sync.chain.sort_key (device times are all in the one written form, so compare as text). */
export function compareEvents(a, b) {
  return (
    compare(a.device_time, b.device_time) || compare(a.device_id, b.device_id) || a.seq - b.seq || compare(a.id, b.id)
  );
}

function voidTarget(event) {
  if (event.type === 'void') return event.payload.event_id;
  if (event.type === 'conflict_resolved' && event.payload.action === 'void_event') return event.payload.event_id;
  return null;
}

/**
 * The ids of the voided events (sync.projection.voided_ids): an event is voided when a void that is not itself
 * voided names it, so a void of a void restores it; voids naming each other in a circle have no effect; a
 * conflict resolution with the action `void_event` voids like a void.
 * @param {object[]} events
 * @returns {Set<string>}
 */
export function voidedIds(events) {
  const ids = new Set(events.map((event) => event.id));
  const targets = new Map();
  for (const event of events) {
    const target = voidTarget(event);
    if (target && ids.has(target)) targets.set(event.id, target);
  }
  const circular = new Set();
  const done = new Set();
  for (const start of targets.keys()) {
    const path = [];
    let node = start;
    while (targets.has(node) && !done.has(node) && !path.includes(node)) {
      path.push(node);
      node = targets.get(node);
    }
    if (path.includes(node)) for (const member of path.slice(path.indexOf(node))) circular.add(member);
    for (const member of path) done.add(member);
  }
  const voiders = new Map();
  for (const [voider, target] of targets) {
    if (!circular.has(voider)) voiders.set(target, (voiders.get(target) ?? 0) + 1);
  }
  const waiting = new Map([...ids].map((id) => [id, voiders.get(id) ?? 0]));
  const ready = [...ids].filter((id) => waiting.get(id) === 0);
  const voided = new Set();
  while (ready.length) {
    const node = ready.pop();
    const target = targets.get(node);
    if (target === undefined || circular.has(node)) continue;
    if (!voided.has(node)) voided.add(target);
    waiting.set(target, waiting.get(target) - 1);
    if (waiting.get(target) === 0) ready.push(target);
  }
  return voided;
}

function emptyOrder(orderId) {
  return {
    orderId,
    status: 'not_collected',
    outcome: null,
    by: null,
    deviceId: null,
    decidedBy: null,
    at: null,
    pending: false,
    handoverIds: [],
    paymentIds: [],
    paidCents: 0,
  };
}

/**
 * The distribution as this phone knows it: per order (those with a hand-over or a payment), this phone's cash box,
 * and the events with their voids. One read of the outbox and the log, then `project`.
 *
 * @param {number} distributionId
 * @returns {Promise<View>}
 */
export async function distributionView(distributionId) {
  return project(await knownEvents(distributionId));
}

// The view kept between member screens. Reading the outbox and the log is a round trip to IndexedDB that, on a slow
// phone, costs more than drawing the whole member screen (bench/pwa.py `code_open_figures`, docs/performance.md);
// the events only change when this page, another tab or the service worker writes them, and every such write says
// so (store.js `dataChanged` after a recording, a sync, a wipe; `eventsStored` as soon as a sync wrote some). So the
// view is read once and kept; the first notice drops it and it is read again in the background: a member screen
// opened before that read ends waits for it, as it always did. A kept view older than KEPT_MS is still used, and
// read again behind it: what a write without a notice could cost.

/** How long a kept view is used before it is read again behind the screen using it. */
export const KEPT_MS = 30000;
let kept = null; // {distributionId, at, view: Promise<View>}
let refreshing = false;
let listening = false;
let warming = null;

function read(distributionId) {
  const entry = { distributionId, at: Date.now(), view: distributionView(distributionId) };
  // A failed read is not kept; a notice during the read drops it (forget): the next call reads again.
  entry.view.catch(() => {
    if (kept === entry) kept = null;
  });
  return entry;
}

function forget() {
  const dropped = kept;
  kept = null;
  if (dropped && warming === null) {
    // Ready before the next member: read again once the writes that made the notice settle.
    warming = setTimeout(() => {
      warming = null;
      if (kept === null) keptView(dropped.distributionId).catch(() => {});
    }, 100);
  }
}

/**
 * `distributionView`, kept in memory between calls until the events of a distribution change (see above). The view
 * is shared: callers read it, never change it. What records uses `distributionView` for its last check.
 * @param {number} distributionId
 * @returns {Promise<View>}
 */
export function keptView(distributionId) {
  if (!listening) {
    listening = true;
    onDataChange(forget);
    onEventsStored(forget);
  }
  if (!kept || kept.distributionId !== distributionId) {
    kept = read(distributionId);
    return kept.view;
  }
  if (Date.now() - kept.at >= KEPT_MS && !refreshing) {
    refreshing = true;
    const old = kept;
    const fresh = read(distributionId);
    fresh.view
      .then(() => {
        if (kept === old) kept = fresh; // not if a notice came meanwhile: that read may predate the write
      })
      .catch(() => {})
      .finally(() => {
        refreshing = false;
      });
  }
  return kept.view;
}

/**
 * What the known events make of the distribution: the rules of sync/projection.py `project` (docs/sync-protocol.md,
 * "Projection") that a screen needs, for the orders and for the cash box of this phone (its `own` events). Pure.
 * Unlike the server, it has no list of the distribution's orders: any order id named by a hand-over or a payment
 * gets an entry (the screens only look up the pack's orders).
 *
 * @param {Array<{event: object, own: boolean, pending?: boolean, refused?: object|null}>} entries the known
 *   events, in any order, any repeats (the first of an id is kept), in the form the server sends them (defaults
 *   filled in, device times in their one written form)
 * @returns {View}
 *
 * @typedef {object} View
 * @property {Array<{event: object, own: boolean, pending: boolean, refused: object|null}>} events canonical order
 * @property {Set<string>} voided
 * @property {Map<number, OrderStatus>} orders
 * @property {CashBox} cash
 * @property {Array<{orderId: number|null, householdId: number|null, cents: number}>} cancelledCash this phone's
 *   cash payments a coordinator's decision undid (a double hand-over, "keep the first"): not expected in the box
 *   any more, yet the cash was taken: to give back to the member (or to count as kept)
 * @property {TopUps} topUps
 *
 * @typedef {object} OrderStatus
 * @property {number} orderId
 * @property {'collected'|'partially_collected'|'not_collected'} status decided as on the server: the best outcome
 *   (all > partial > refused), the earliest among equals
 * @property {'all'|'partial'|'refused'|null} outcome null: no hand-over (not yet)
 * @property {'this_device'|'other_device'|null} by who recorded the deciding hand-over
 * @property {string|null} deviceId the device that recorded it
 * @property {string|null} decidedBy the deciding hand-over's id
 * @property {string|null} at its device time
 * @property {boolean} pending the deciding hand-over is this phone's and not confirmed by the server yet
 * @property {string[]} handoverIds every hand-over of the order not voided, in canonical order
 * @property {string[]} paymentIds every payment naming the order not voided
 * @property {number} paidCents what those payments settle
 *
 * @typedef {object} CashBox this phone's cash box (sync.projection rule 5, for this device only)
 * @property {number|null} openingCents its last opening float (null: not counted)
 * @property {number} cashPaymentsCents the cash part of its cash payments
 * @property {number} expectedCents opening + cash payments
 * @property {number|null} countedCents its last closing count
 * @property {number|null} differenceCents counted − expected (negative: missing)
 * @property {number} afterCountCents the cash of the payments recorded after the last closing count (in this
 *   phone's own order, seq then id, not by clock): not in that count (sync.projection.CashBox.after_count_cents)
 * @property {number} expectedAtCountCents expected − afterCountCents: what the box should have held when counted
 * @property {number|null} differenceAtCountCents counted − expectedAtCountCents: the gap the admin's log shows
 * @property {number} cashTopUpsCents the cash this phone took to credit prepaid accounts (in expectedCents)
 *
 * @typedef {object} TopUps the credits paid at the point (top_up events) not voided, from every phone known
 * @property {Map<number, number>} households household id → cents credited to its prepaid account
 * @property {Object<string, number>} byMethod top-up method → cents (every method of TOP_UP_METHODS)
 */
export function project(entries) {
  const events = canonical(entries);
  const voided = voidedIds(events.map((known) => known.event));
  const orders = new Map();
  const deciders = new Map();
  const order = (orderId) => {
    if (!orders.has(orderId)) orders.set(orderId, emptyOrder(orderId));
    return orders.get(orderId);
  };
  let opening = null;
  let closing = null;
  let cashPaymentsCents = 0;
  // This phone's cash payments a coordinator's decision undid: the cash is still in the box, to give back.
  const byDecision = new Set(
    events
      .filter(({ event }) => event.type === 'conflict_resolved' && event.payload.action === 'void_event')
      .map(({ event }) => event.payload.event_id),
  );
  const cancelled = [];
  let cashTopUpsCents = 0;
  const cashTaken = []; // this phone's cash payments and cash top-ups not voided: [event, its cash]
  const topUps = { households: new Map(), byMethod: Object.fromEntries(TOP_UP_METHODS.map((method) => [method, 0])) };
  const later = (a, b) => !b || a.seq > b.seq || (a.seq === b.seq && a.id > b.id);

  for (const known of events) {
    const { event } = known;
    if (voided.has(event.id)) {
      const paid = event.type === 'payment' || event.type === 'sale';
      if (known.own && paid && event.payload.method === 'cash' && byDecision.has(event.id)) {
        const { payload } = event;
        const cents = payload.amount_cents - payload.from_prepaid_cents - payload.from_allowance_cents;
        cancelled.push({ orderId: payload.order_id ?? null, householdId: payload.household_id ?? null, cents });
      }
      continue;
    }
    const { payload } = event;
    if (event.type === 'handover') {
      const state = order(payload.order_id);
      state.handoverIds.push(event.id);
      const current = deciders.get(payload.order_id);
      if (!current || OUTCOME_RANK[payload.outcome] > OUTCOME_RANK[current.event.payload.outcome]) {
        deciders.set(payload.order_id, known);
      }
    } else if (event.type === 'payment' || event.type === 'sale') {
      // A sale of extras is paid as a payment is, for no order (sync/projection.py).
      if (payload.order_id !== null && payload.order_id !== undefined) {
        const state = order(payload.order_id);
        state.paymentIds.push(event.id);
        state.paidCents += payload.amount_cents;
      }
      if (known.own && payload.method === 'cash') {
        // The cash part is the rest: what the accounts did not cover.
        const cents = payload.amount_cents - payload.from_prepaid_cents - payload.from_allowance_cents;
        cashPaymentsCents += cents;
        cashTaken.push([event, cents]);
      }
    } else if (event.type === 'top_up') {
      cashTopUpsCents += addTopUp(topUps, known, cashTaken);
    } else if (event.type === 'cash_count' && known.own) {
      if (payload.kind === 'opening' && later(event, opening)) opening = event;
      if (payload.kind === 'closing' && later(event, closing)) closing = event;
    }
  }
  for (const [orderId, known] of deciders) {
    const state = orders.get(orderId);
    state.outcome = known.event.payload.outcome;
    state.status = STATUS[state.outcome];
    state.by = known.own ? 'this_device' : 'other_device';
    state.deviceId = known.event.device_id;
    state.decidedBy = known.event.id;
    state.at = known.event.device_time;
    state.pending = Boolean(known.pending);
  }
  const openingCents = opening ? opening.payload.total_cents : null;
  const countedCents = closing ? closing.payload.total_cents : null;
  const expectedCents = (openingCents ?? 0) + cashPaymentsCents + cashTopUpsCents;
  // Recorded after the count in the phone's own order: the count could not hold it.
  const afterCountCents = closing
    ? cashTaken.reduce((sum, [event, cents]) => (later(event, closing) ? sum + cents : sum), 0)
    : 0;
  const expectedAtCountCents = expectedCents - afterCountCents;
  return {
    events,
    voided,
    orders,
    cash: {
      openingCents,
      cashPaymentsCents,
      expectedCents,
      countedCents,
      differenceCents: countedCents === null ? null : countedCents - expectedCents,
      afterCountCents,
      expectedAtCountCents,
      differenceAtCountCents: countedCents === null ? null : countedCents - expectedAtCountCents,
      cashTopUpsCents,
    },
    cancelledCash: cancelled,
    topUps,
  };
}

/** Count one live top-up: by method, for its household, and in this phone's box when it is its cash. Returns the
 * cash it put in this phone's box. */
function addTopUp(topUps, known, cashTaken) {
  const { event } = known;
  const { household_id: householdId, amount_cents: cents, method } = event.payload;
  topUps.byMethod[method] = (topUps.byMethod[method] ?? 0) + cents;
  topUps.households.set(householdId, (topUps.households.get(householdId) ?? 0) + cents);
  if (!known.own || method !== 'cash') return 0;
  cashTaken.push([event, cents]);
  return cents;
}

/**
 * Where an order stands for this phone: collected (or partly, or refused) by this phone, by another phone (once its
 * events were pulled), or not yet; voids honoured.
 * @param {number} distributionId
 * @param {number} orderId
 * @returns {Promise<OrderStatus>}
 */
export async function orderStatus(distributionId, orderId) {
  return (await distributionView(distributionId)).orders.get(orderId) ?? emptyOrder(orderId);
}

/**
 * This phone's events for a distribution that are not voided, newest first (by its own recording order): what an
 * "undo" may void (`record('void', {event_id}, …)`). Voids are listed too: voiding a void restores the event.
 * @param {number} distributionId
 * @returns {Promise<object[]>} events
 */
export async function undoableEvents(distributionId) {
  const { events, voided } = await distributionView(distributionId);
  return events
    .filter((known) => known.own && !voided.has(known.event.id))
    .map((known) => known.event)
    .sort((a, b) => b.seq - a.seq);
}
