// What the volunteer app keeps on the phone, in IndexedDB (through `idb`):
//   meta   — key/value: `device` ({id, name, points, credential, revoked?}), `currentShift` (a shift id)
//   shifts — one record per volunteer signed in on this phone: {id, token, validUntil, user, pin, failures, locked}
// Upgrades fall through version by version (`switch (oldVersion)`), as idb's README shows.
import { openDB } from 'idb';

const NAME = 'comptoir';
const VERSION = 1;

let opening = null;

function database() {
  if (!opening) {
    opening = openDB(NAME, VERSION, {
      upgrade(db, oldVersion) {
        switch (oldVersion) {
          case 0:
            db.createObjectStore('meta');
            db.createObjectStore('shifts', { keyPath: 'id' });
          // falls through: later versions add their steps here
        }
      },
    });
  }
  return opening;
}

export async function getMeta(key) {
  return (await database()).get('meta', key);
}

export async function setMeta(key, value) {
  return (await database()).put('meta', value, key);
}

export async function getDevice() {
  return getMeta('device');
}

/** Change some fields of the stored device in one transaction (nothing else awaited inside it). */
export async function updateDevice(changes) {
  const db = await database();
  const tx = db.transaction('meta', 'readwrite');
  const device = await tx.store.get('device');
  const updated = { ...device, ...changes };
  await Promise.all([tx.store.put(updated, 'device'), tx.done]);
  return updated;
}

/** A new enrolment: the device replaces any earlier one, and the earlier device's sign-ins go with it. */
export async function saveEnrolment(device) {
  const db = await database();
  const tx = db.transaction(['meta', 'shifts'], 'readwrite');
  await Promise.all([
    tx.objectStore('meta').put(device, 'device'),
    tx.objectStore('meta').delete('currentShift'),
    tx.objectStore('shifts').clear(),
    tx.done,
  ]);
}

export async function getShifts() {
  return (await database()).getAll('shifts');
}

export async function getShift(id) {
  return (await database()).get('shifts', id);
}

/** Store a volunteer's new shift and make it the current one; their earlier shift on this phone is replaced. */
export async function addShift(shift) {
  const db = await database();
  const tx = db.transaction(['meta', 'shifts'], 'readwrite');
  const shifts = tx.objectStore('shifts');
  const earlier = (await shifts.getAll()).filter((s) => s.user.id === shift.user.id);
  await Promise.all([
    ...earlier.map((s) => shifts.delete(s.id)),
    shifts.put(shift),
    tx.objectStore('meta').put(shift.id, 'currentShift'),
    tx.done,
  ]);
}

export async function putShift(shift) {
  return (await database()).put('shifts', shift);
}

export async function removeShift(id) {
  const db = await database();
  const tx = db.transaction(['meta', 'shifts'], 'readwrite');
  const current = await tx.objectStore('meta').get('currentShift');
  await Promise.all([
    tx.objectStore('shifts').delete(id),
    current === id ? tx.objectStore('meta').delete('currentShift') : Promise.resolve(),
    tx.done,
  ]);
}

export async function getCurrentShift() {
  const id = await getMeta('currentShift');
  return id ? getShift(id) : undefined;
}

export async function setCurrentShift(id) {
  return setMeta('currentShift', id);
}
