// The one use `@ngraveio/bc-ur` makes of Node's `assert`: `assert(condition, message)` throws when the condition is
// false. Bundled instead of the `assert` package (and its `util`, `process`, …: about 40 KB) through esbuild's
// `--alias:assert` in package.json's build.
export default function assert(condition, message = 'Assertion failed') {
  if (!condition) throw new Error(message);
}
