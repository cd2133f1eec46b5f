// What the screens share while the app is open: the distribution being run (kept in IndexedDB `meta`, so the
// phone reopens on it), its pack index, and the scanner controller while the camera is on.
import { packIndex } from '../packs.js';
import { getCurrentShift, getMeta, setMeta } from '../store.js';

const ACTIVE_KEY = 'activeDistribution';

export const state = {
  /** @type {number|null} the distribution the scan, lists and cash screens work on */
  distributionId: null,
  /** @type {import('../packs.js').PackIndex|null} its pack index */
  index: null,
  /** @type {object|null} the scanner controller (scanner.js) while the camera is on */
  scanner: null,
  /** a member screen is open: a scan (or a manual lookup) is in progress */
  memberOpen: false,
};

/** Load the distribution the phone was running, if its pack is still here. */
export async function loadActive() {
  const id = await getMeta(ACTIVE_KEY);
  if (id) await setActive(id);
  return state.distributionId;
}

/** Whether the distribution being run is over by this phone's clock: the app then reopens on the home list. */
export function activeEnded() {
  const ends = state.index?.pack.distribution.ends_at;
  return ends !== undefined && Date.parse(ends) <= Date.now();
}

/** Run this distribution (null: none). Resolves to its pack index, or null when its pack is not on the phone. */
export async function setActive(distributionId) {
  const index = distributionId ? await packIndex(distributionId) : null;
  state.distributionId = index ? distributionId : null;
  state.index = index;
  await setMeta(ACTIVE_KEY, state.distributionId);
  return index;
}

/** The active pack's index again (after a new download: a new ETag gives a new index). */
export async function refreshIndex() {
  if (!state.distributionId) return null;
  state.index = await packIndex(state.distributionId);
  if (!state.index) await setActive(null);
  return state.index;
}

/** Scans not finished: a member screen open, or reads waiting in the scanner's queue. */
export function scanInProgress() {
  return state.memberOpen || (state.scanner?.pending ?? 0) > 0;
}

/**
 * The current volunteer's shift if it may still record (signed in, not ended, not past midnight), else null. An
 * event recorded outside a shift would be refused by the server: the screens ask to sign in again first.
 */
export async function recordingShift() {
  const shift = await getCurrentShift();
  if (!shift || shift.locked || shift.ended || Date.parse(shift.validUntil) <= Date.now()) return null;
  return shift;
}
