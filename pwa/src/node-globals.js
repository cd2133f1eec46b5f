// `@ngraveio/bc-ur` (transfer.js) is written for Node: it calls the global `Buffer`. This module, imported before
// it, gives the page the `buffer` package's Buffer (the one package.json's build aliases every `buffer` import to);
// a page that has one already keeps it. (Its `assert` is aliased to pwa/src/shims/assert.js in the same build.)
import { Buffer } from 'buffer';

globalThis.Buffer ??= Buffer;
