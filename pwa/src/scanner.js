// Continuous QR scanning from the rear camera (docs/pwa.md, "Scanner").
//
//   const scanner = await startScanner(video, {
//     onRead(text, done) { showMember(text); whenTheVolunteerIsFinished(done); },
//     onError(reason) { … },
//   });
//   scanner.stop();
//
// Decoding uses the browser's own BarcodeDetector where it reads QR codes (Android Chrome, macOS), else the
// ZXing WebAssembly polyfill (pwa/src/qr-polyfill.js, loaded on demand). Each new read beeps and vibrates.
// The same code seen again within REPEAT_MS of its last sighting is ignored (a code held in front of the camera is
// read once); different codes read in quick succession wait in a queue: `onRead` gets the next one only after the
// previous one's `done()`, so a member on screen is never replaced before the volunteer has finished with them.

/** At most this many decodes a second: ~10, one at a time. */
export const DECODE_INTERVAL_MS = 100;
/** The same text is not read again until it has been out of sight this long. */
export const REPEAT_MS = 2000;
const FRAME_WAIT_MS = 250;

/** Why the scanner could not start or stopped working; `reason` is stable, for the app's words. */
export class ScannerError extends Error {
  constructor(reason, cause) {
    super(reason, { cause });
    this.name = 'ScannerError';
    this.reason = reason;
  }
}

// Feedback: a short beep (WebAudio oscillator, no sound file) and a vibration.

const TONES = {
  read: { type: 'square', frequency: 1200, seconds: 0.09, vibrate: 60 },
  refused: { type: 'sawtooth', frequency: 220, seconds: 0.4, vibrate: [90, 70, 90] },
};
let audio = null;

function audioContext() {
  const Context = globalThis.AudioContext || globalThis.webkitAudioContext;
  if (!Context) return null;
  audio ??= new Context();
  if (audio.state === 'suspended') audio.resume().catch(() => {});
  return audio;
}

/**
 * Beep and vibrate: `feedback('read')` (short high beep, the scanner does it on each read) or `feedback('refused')`
 * (a low buzz, for the app to signal a refused ticket). Silent where the browser has no WebAudio or vibration.
 */
export function feedback(kind = 'read', { sound = true, vibration = true } = {}) {
  const tone = TONES[kind] ?? TONES.read;
  if (sound) {
    try {
      const context = audioContext();
      if (context) {
        const oscillator = context.createOscillator();
        const gain = context.createGain();
        const start = context.currentTime;
        oscillator.type = tone.type;
        oscillator.frequency.value = tone.frequency;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.25, start + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + tone.seconds);
        oscillator.connect(gain).connect(context.destination);
        oscillator.start(start);
        oscillator.stop(start + tone.seconds + 0.02);
      }
    } catch {
      // no sound is no reason to miss a read
    }
  }
  if (vibration) {
    try {
      navigator.vibrate?.(tone.vibrate);
    } catch {
      // idem
    }
  }
}

// The decoder.

async function nativeDetector() {
  const Native = globalThis.BarcodeDetector;
  if (typeof Native !== 'function') return null;
  try {
    const formats = await Native.getSupportedFormats();
    return formats.includes('qr_code') ? new Native({ formats: ['qr_code'] }) : null;
  } catch {
    return null;
  }
}

async function pickDetector(decoder) {
  if (decoder !== 'polyfill') {
    const native = await nativeDetector();
    if (native) return { detector: native, kind: 'native' };
    if (decoder === 'native') throw new Error('no native BarcodeDetector for qr_code');
  }
  const { createDetector } = await import('./qr-polyfill.js');
  return { detector: await createDetector(), kind: 'polyfill' };
}

function cameraReason(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'camera_denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'camera_not_found';
    case 'NotReadableError':
    case 'AbortError':
      return 'camera_busy';
    default:
      return 'camera_unavailable';
  }
}

/**
 * Open the rear camera into `video` and read QR codes until `stop()`.
 *
 * options:
 *   onRead(text, done, info)  a new code; call `done()` when finished with it to get the next queued one.
 *                             `info` = { decodedAt, decodeMs }: when the frame's decode ended (performance.now())
 *                             and how long it took.
 *   onError(reason)           after a successful start: 'camera_ended' (the camera went away) or 'decoder_failed'
 *                             (ten decodes in a row threw). The scanner keeps trying after 'decoder_failed'.
 *   decoder                   'auto' (default: native if it reads QR codes, else the polyfill), 'native', 'polyfill'
 *   sound, vibration          beep / vibrate on each read (default true)
 *
 * Resolves to the controller; rejects with a ScannerError whose `reason` is one of 'camera_unsupported',
 * 'camera_denied', 'camera_not_found', 'camera_busy', 'camera_unavailable', 'decoder_unavailable'.
 * Call it from the volunteer's tap: the beep's audio context is unlocked by that gesture.
 */
export async function startScanner(video, options = {}) {
  const { onRead, onError = () => {}, decoder = 'auto', sound = true, vibration = true } = options;
  if (typeof onRead !== 'function') throw new TypeError('startScanner needs an onRead(text, done) callback');
  if (!globalThis.navigator?.mediaDevices?.getUserMedia) throw new ScannerError('camera_unsupported');
  if (sound) audioContext(); // before any await: still inside the user's gesture

  const choosing = pickDetector(decoder); // the WebAssembly loads while the camera opens
  choosing.catch(() => {});
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch (error) {
    throw new ScannerError(cameraReason(error), error);
  }
  let picked;
  try {
    picked = await choosing;
  } catch (error) {
    for (const track of stream.getTracks()) track.stop();
    throw new ScannerError('decoder_unavailable', error);
  }
  const { detector, kind } = picked;
  const [track] = stream.getVideoTracks();

  video.muted = true;
  video.playsInline = true;
  video.setAttribute('playsinline', ''); // iOS Safari: no full-screen takeover
  video.srcObject = stream;
  await video.play().catch(() => {}); // muted video may always play; frames are awaited below anyway

  let running = true;
  let paused = false;
  let frameRequest = null;
  let timer = null;
  let lastDecode = -Infinity;
  let failures = 0;
  let decoding = false; // one decode at a time, even across pause()/resume()
  let torch = false;
  const lastSeen = new Map(); // text → when it was last in a decoded frame
  const queue = [];
  let current = null; // the text onRead has, until its done()

  function deliver() {
    if (!running || current !== null || queue.length === 0) return;
    const { text, info } = queue.shift();
    current = text;
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      if (current === text) current = null;
      queueMicrotask(deliver);
    };
    try {
      onRead(text, done, info);
    } catch (error) {
      console.error('Comptoir scanner: onRead threw', error);
    }
  }

  function found(text, info) {
    const now = performance.now();
    const seen = lastSeen.get(text);
    lastSeen.set(text, now);
    if (current === text || queue.some((read) => read.text === text)) return; // on screen or waiting already
    if (seen !== undefined && now - seen < REPEAT_MS) return; // still the same code in front of the camera
    for (const [other, at] of lastSeen) if (now - at > REPEAT_MS) lastSeen.delete(other);
    feedback('read', { sound, vibration });
    queue.push({ text, info });
    deliver();
  }

  function cancelFrame() {
    if (frameRequest !== null) video.cancelVideoFrameCallback?.(frameRequest);
    if (timer !== null) clearTimeout(timer);
    frameRequest = timer = null;
  }

  // Next decode: after DECODE_INTERVAL_MS since the last one, on the next video frame (requestVideoFrameCallback),
  // or after FRAME_WAIT_MS without one (a video element that is not rendered gets no frame callbacks).
  function schedule() {
    if (!running || paused || frameRequest !== null || timer !== null) return;
    const wait = lastDecode + DECODE_INTERVAL_MS - performance.now();
    if (wait > 0) {
      timer = setTimeout(() => {
        timer = null;
        schedule();
      }, wait);
      return;
    }
    const now = () => {
      cancelFrame();
      tick();
    };
    if (typeof video.requestVideoFrameCallback === 'function') frameRequest = video.requestVideoFrameCallback(now);
    timer = setTimeout(now, frameRequest === null ? 0 : FRAME_WAIT_MS);
  }

  async function tick() {
    if (!running || paused || decoding) return; // a decode under way schedules the next one when it ends
    const started = performance.now();
    lastDecode = started;
    if (video.readyState >= 2) {
      decoding = true;
      try {
        const codes = await detector.detect(video);
        const decodedAt = performance.now();
        failures = 0;
        if (running && !paused) {
          for (const code of codes) if (code.rawValue) found(code.rawValue, { decodedAt, decodeMs: decodedAt - started });
        }
      } catch (error) {
        failures += 1;
        if (failures === 10) {
          console.error('Comptoir scanner: decoding keeps failing', error);
          onError('decoder_failed');
        }
      } finally {
        decoding = false;
      }
    }
    schedule();
  }

  track?.addEventListener('ended', () => {
    if (running) onError('camera_ended');
  });
  schedule();

  return {
    /** 'native' (the browser's BarcodeDetector) or 'polyfill' (ZXing WebAssembly). */
    decoder: kind,
    /** Whether the camera has a torch the page may switch (Android Chrome on most phones; never iOS). */
    get torchSupported() {
      return Boolean(running && track?.getCapabilities?.().torch);
    },
    /** Whether the torch is on (as last set through setTorch). */
    get torch() {
      return torch;
    },
    /** Reads waiting behind the one onRead has. */
    get queued() {
      return queue.length;
    },
    /** Reads not finished: the one onRead has (until its done()) plus those waiting. 0 = no scan in progress. */
    get pending() {
      return queue.length + (current === null ? 0 : 1);
    },
    /** Whether frames are being decoded (false once paused or stopped). */
    get scanning() {
      return running && !paused;
    },
    /** Switch the torch; resolves true if the camera took it, false where unsupported or refused. */
    async setTorch(on) {
      if (!this.torchSupported) return false;
      try {
        await track.applyConstraints({ advanced: [{ torch: Boolean(on) }] });
        torch = Boolean(on);
        return true;
      } catch {
        return false;
      }
    },
    /** Stop decoding frames (the camera stays open for an instant resume); queued reads are kept. */
    pause() {
      paused = true;
      cancelFrame();
    },
    resume() {
      if (!running || !paused) return;
      paused = false;
      schedule();
    },
    /** Close the camera, forget the queue. The controller is dead afterwards; start again for a new one. */
    stop() {
      if (!running) return;
      running = false;
      cancelFrame();
      queue.length = 0;
      current = null;
      torch = false;
      for (const t of stream.getTracks()) t.stop();
      video.srcObject = null;
    },
  };
}
