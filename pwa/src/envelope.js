// The envelope two phones exchange through the screen (docs/pwa.md, "Phone to phone"): its version, its kinds,
// the check of its shape, and the error a refused transfer gives. Small, without the QR and fountain-code libraries
// (transfer.js), so the app's first screen does not load them.

/** The envelope's version this phone reads and writes. */
export const VERSION = 2;
export const KINDS = Object.freeze(['events', 'pack', 'wants']);
/** The largest JSON once inflated: a guard against a small transfer that inflates to fill the phone. */
export const MAX_JSON_BYTES = 8 * 1024 * 1024;

/**
 * Why a transfer was refused; `reason` is stable, for the words (i18n `receive.refused_<reason>`):
 * `ticket` (a member ticket shown by mistake), `not_transfer` (another QR code), `corrupt` (parts that do not make
 * a whole, or a whole that does not inflate), `unknown_version`, `unknown_kind`, `malformed` (not the envelope's
 * shape), `too_large`; on reception (exchange.js, screens/transfer.js): `broken_chain` (a device's hash chain does
 * not hold), `bad_signature` (an event of a device the pack lists is not signed by that device),
 * `other_distribution`, `unsupported_kind` (a kind the receive screen does not take yet).
 */
export class TransferError extends Error {
  constructor(reason, detail = '') {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'TransferError';
    this.reason = reason;
  }
}

// The envelope

export const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value) => Number.isSafeInteger(value) && value >= 0;
const isText = (value, max = 200) => typeof value === 'string' && value.length > 0 && value.length <= max;

/** Per device, a count (the highest `seq` held): `{<device id>: <seq>}`. */
function isPositions(value) {
  return isObject(value) && Object.entries(value).every(([device, seq]) => isText(device) && isCount(seq));
}

/**
 * Check an envelope's shape (docs/pwa.md, "Phone to phone"); throws a TransferError `unknown_version`,
 * `unknown_kind` or `malformed`. What it carries (events, a pack) is checked by whom it is for: the events' keys
 * pass untouched, their signatures included.
 */
export function validateEnvelope(envelope) {
  if (!isObject(envelope)) throw new TransferError('malformed', 'not an object');
  if (envelope.v !== VERSION) throw new TransferError('unknown_version', String(envelope.v));
  if (!KINDS.includes(envelope.kind)) throw new TransferError('unknown_kind', String(envelope.kind));
  const { distribution_id: distributionId } = envelope;
  if (!Number.isSafeInteger(distributionId) || distributionId <= 0) throw new TransferError('malformed', 'distribution_id');
  if (!isText(envelope.from)) throw new TransferError('malformed', 'from');
  if (envelope.from_name !== undefined && !isText(envelope.from_name)) throw new TransferError('malformed', 'from_name');
  if (envelope.kind === 'events') {
    if (!Array.isArray(envelope.events)) throw new TransferError('malformed', 'events');
    for (const event of envelope.events) {
      const ok =
        isObject(event) &&
        isText(event.id) &&
        event.distribution_id === distributionId &&
        isText(event.device_id) &&
        isCount(event.seq) &&
        isText(event.type);
      if (!ok) throw new TransferError('malformed', 'event');
    }
    if (!isPositions(envelope.positions)) throw new TransferError('malformed', 'positions');
  } else if (envelope.kind === 'wants') {
    if (!isPositions(envelope.held)) throw new TransferError('malformed', 'held');
  } else if (!isText(envelope.bytes, MAX_JSON_BYTES) || !/^[A-Za-z0-9_-]+$/.test(envelope.bytes) || !isText(envelope.signature, 1000)) {
    throw new TransferError('malformed', 'pack');
  }
  return envelope;
}
