// Second step of `npm run build` (docs/pwa.md, "The precache list"): from esbuild's metafile, the list of files the
// volunteer app needs offline, a VERSION hashed from their content, and the service worker with both written in.
//
//   node pwa/build-sw.mjs [DIST]     DIST defaults to pwa/dist (esbuild's --outdir); tests pass a copy of it.
//
// Writes DIST/precache.json ({version, urls, decoder, files: [{url, bytes, gzip, decoder}], total, core}),
// DIST/sw.js (pwa/sw.js bundled, with __PRECACHE__ = {version, urls, decoder}) and DIST/member-sw.js (the member
// pages' worker, pwa/member/sw.js bundled). `decoder` lists the QR polyfill
// and its .wasm: the worker precaches them only on browsers without a native BarcodeDetector for QR codes. Nothing here is maintained by hand: a new chunk, a new
// stylesheet or a new decoder file reached from the app's entry points is precached by the next build.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ZXING_WASM_SHA256 } from 'barcode-detector/ponyfill';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUTDIR = 'pwa/dist/'; // esbuild's --outdir as the metafile names outputs (relative to ROOT)
const dist = path.resolve(process.argv[2] ?? path.join(ROOT, OUTDIR));

// The volunteer app's entry points (outputs in DIST): everything they import, statically or dynamically
// (chunks, CSS, the decoder's .wasm), is precached with them. admin.js and the member pages are not the app.
const ROOTS = ['app.js', 'scanner.js', 'update.js'];
// Served by Flask from elsewhere than DIST: URL → file (relative to ROOT).
const STATIC = {
  '/app/': 'pwa/index.html', // the shell, served for every /app/… navigation
  '/vendor/pico.min.css': 'node_modules/@picocss/pico/css/pico.min.css', // server/static_vendor.py
  '/static/icons/icon-192.png': 'server/static/icons/icon-192.png',
  '/static/icons/icon-512.png': 'server/static/icons/icon-512.png',
};

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Output names (relative to DIST) reachable from ROOTS in the metafile. */
function reachable(meta) {
  const strip = (name) => (name.startsWith(OUTDIR) ? name.slice(OUTDIR.length) : name);
  const outputs = new Map(Object.entries(meta.outputs).map(([name, output]) => [strip(name), output]));
  const found = new Set();
  const visit = (name) => {
    if (found.has(name)) return;
    const output = outputs.get(name);
    if (!output) throw new Error(`${name} is not in esbuild's metafile: add it to the build's entry points`);
    found.add(name);
    for (const imported of output.imports ?? []) if (!imported.external) visit(strip(imported.path));
    if (output.cssBundle) visit(strip(output.cssBundle));
  };
  for (const name of ROOTS) visit(name);
  return [...found].sort();
}

/** The QR polyfill (pwa/src/qr-polyfill.js, imported dynamically by the scanner) and what only it reaches. */
function decoderFiles(meta) {
  const strip = (name) => (name.startsWith(OUTDIR) ? name.slice(OUTDIR.length) : name);
  const entries = Object.entries(meta.outputs).filter(([, output]) => output.entryPoint === 'pwa/src/qr-polyfill.js');
  if (entries.length !== 1) throw new Error('expected one output for pwa/src/qr-polyfill.js in the metafile');
  const [name, output] = entries[0];
  return new Set([strip(name), ...(output.imports ?? []).filter((i) => i.kind === 'file-loader').map((i) => strip(i.path))]);
}

/** The .wasm must be the one the polyfill's glue code was built for (same zxing-wasm release). */
function checkDecoder(files) {
  const wasm = files.filter((file) => file.url.endsWith('.wasm'));
  if (wasm.length !== 1) throw new Error(`expected one decoder .wasm in the precache, found ${wasm.length}`);
  if (sha256(wasm[0].content) !== ZXING_WASM_SHA256) {
    throw new Error(`${wasm[0].url} is not the zxing-wasm build barcode-detector expects (${ZXING_WASM_SHA256})`);
  }
}

// The service worker imports the data layer's `syncAll` from pwa/src/sync.js; until that file exists, an empty
// module stands in (the worker checks that syncAll is a function before calling it).
const syncStub = {
  name: 'sync-stub',
  setup(builder) {
    builder.onResolve({ filter: /[\\/]sync\.js$/ }, (args) => {
      const file = path.resolve(args.resolveDir, args.path);
      if (existsSync(file)) return undefined;
      console.warn(`build-sw: ${path.relative(ROOT, file)} does not exist yet: Background Sync does nothing`);
      return { path: file, namespace: 'sync-stub' };
    });
    builder.onLoad({ filter: /.*/, namespace: 'sync-stub' }, () => ({
      contents: 'export const syncAll = undefined;',
      loader: 'js',
    }));
  },
};

const meta = JSON.parse(readFileSync(path.join(dist, 'meta.json'), 'utf8'));
const decoder = decoderFiles(meta);
const files = [
  ...Object.entries(STATIC).map(([url, file]) => ({ url, content: readFileSync(path.join(ROOT, file)), decoder: false })),
  ...reachable(meta).map((name) => ({
    url: `/assets/${name}`,
    content: readFileSync(path.join(dist, name)),
    decoder: decoder.has(name),
  })),
];
checkDecoder(files);

const fingerprint = files.map((file) => `${file.url} ${sha256(file.content)}\n`).join('');
const version = sha256(fingerprint).slice(0, 16);
const urls = files.filter((file) => !file.decoder).map((file) => file.url);
const decoderUrls = files.filter((file) => file.decoder).map((file) => file.url);
const sizes = files.map(({ url, content, decoder: isDecoder }) => ({
  url,
  bytes: content.length,
  gzip: gzipSync(content, { level: 9 }).length,
  decoder: isDecoder,
}));
const sum = (list) => list.reduce((s, f) => ({ bytes: s.bytes + f.bytes, gzip: s.gzip + f.gzip }), { bytes: 0, gzip: 0 });
const total = sum(sizes);
const core = sum(sizes.filter((file) => !file.decoder));
const summary = { version, urls, decoder: decoderUrls, files: sizes, total, core };
writeFileSync(path.join(dist, 'precache.json'), `${JSON.stringify(summary, null, 2)}\n`);

await build({
  absWorkingDir: ROOT,
  entryPoints: [path.join(ROOT, 'pwa/sw.js')],
  outfile: path.join(dist, 'sw.js'),
  bundle: true,
  format: 'iife',
  target: 'es2020',
  define: { __PRECACHE__: JSON.stringify({ version, urls, decoder: decoderUrls }) },
  plugins: [syncStub],
  logLevel: 'warning',
});
// The member pages' worker (served at /m/sw.js by server/members): its push handlers come from the same module as
// the app's, pwa/src/push-worker.js. It precaches nothing of the app, so it needs no VERSION from here.
await build({
  absWorkingDir: ROOT,
  entryPoints: [path.join(ROOT, 'pwa/member/sw.js')],
  outfile: path.join(dist, 'member-sw.js'),
  bundle: true,
  format: 'iife',
  target: 'es2020',
  logLevel: 'warning',
});
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`;
console.log(
  `build-sw: version ${version}, ${urls.length} files precached, ${kb(core.gzip)} gzipped ` +
    `(+ ${decoderUrls.length} decoder files, ${kb(total.gzip - core.gzip)}, without a native BarcodeDetector)`,
);
