'use strict';
// Run by run-compat.mjs as `node --test lifetime.test.cjs`: the test runner ends a test whose
// promise is still pending once nothing keeps the event loop alive (it does so from its own
// 'beforeExit'), so a timed call must keep the loop alive by itself until its deadline.
const test = require('node:test');
const assert = require('node:assert');
const { TimeoutPolicy, TimeoutError } = require('@bulwark/core');

test('a timed call whose operation never settles rejects with its TimeoutError', async () => {
  const policy = new TimeoutPolicy({ name: 'under-node-test', duration: 200 });
  await assert.rejects(policy.execute(() => new Promise(() => {})), TimeoutError);
});
