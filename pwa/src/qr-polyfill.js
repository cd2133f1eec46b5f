// The QR decoder for browsers without a native BarcodeDetector (Chromium on Linux, Firefox, Safari): the
// `barcode-detector` ponyfill from npm, which wraps ZXing-C++ compiled to WebAssembly (`zxing-wasm`).
//
// Loaded only when needed: pwa/src/scanner.js imports this module dynamically, so esbuild puts it (and the
// polyfill's 60 kB of glue) in its own chunk. The .wasm is copied into pwa/dist by esbuild's file loader with a
// content hash in its name (`/assets/zxing_reader-<hash>.wasm`), precached by the service worker, and loaded from
// this origin only: the package's default is a CDN, which CSP forbids and which is unreachable at the point.
// pwa/build-sw.mjs checks at build time that this .wasm is the one the glue code was built for.
import { BarcodeDetector, prepareZXingModule, purgeZXingModule } from 'barcode-detector/ponyfill';
import wasmPath from 'zxing-wasm/reader/zxing_reader.wasm';

/** Where the decoder's WebAssembly is served, e.g. "/assets/zxing_reader-KWI6IVLC.wasm". */
export const WASM_URL = wasmPath;

// One function object for the module's whole life: the polyfill compares overrides by identity and would
// instantiate the module again for a new one.
const OVERRIDES = {
  locateFile: (path, prefix) => (path.endsWith('.wasm') ? new URL(WASM_URL, self.location.href).href : prefix + path),
};

/** A BarcodeDetector for QR codes, with its WebAssembly fetched, compiled and ready (rejects if it cannot be). */
export async function createDetector() {
  try {
    await prepareZXingModule({ overrides: OVERRIDES, fireImmediately: true });
  } catch (error) {
    purgeZXingModule(); // so that a later start tries again instead of reusing the failure
    throw error;
  }
  return new BarcodeDetector({ formats: ['qr_code'] });
}
