'use strict';
// How long a plain script lives around timed calls (run by run-compat.mjs from the installed app):
// `node lifetime.cjs pending`: a call whose operation holds nothing open (a promise nobody settles)
//   keeps the process alive until its timeout rejects it, as a timer of its own would: the app's own
//   'beforeExit' listener runs only after that.
// `node lifetime.cjs idle`: a finished call leaves nothing that keeps the process alive, though
//   its 10 s timeout has not run out.
const { TimeoutPolicy, TimeoutError } = require('@bulwark/core');

const started = Date.now();
const mode = process.argv[2];
if (mode === 'pending') {
  process.on('beforeExit', () => console.log('beforeExit'));
  new TimeoutPolicy({ name: 'lifetime', duration: 300 }).execute(() => new Promise(() => {})).then(
    () => console.log('resolved'),
    (error) => console.log(error instanceof TimeoutError ? `timed out after ${Date.now() - started} ms` : `rejected with ${String(error)}`),
  );
} else if (mode === 'idle') {
  new TimeoutPolicy({ name: 'lifetime', duration: 10_000 }).execute(async () => 1).then((value) => console.log(`resolved ${value}`));
} else {
  console.error(`usage: node lifetime.cjs pending|idle (got ${mode})`);
  process.exitCode = 2;
}
