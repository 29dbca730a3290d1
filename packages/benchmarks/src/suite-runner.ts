/**
 * Entry point of every suite child: `node [--expose-gc] dist/suite-runner.js <suite> [--quick] [--key=value...]`.
 * Runs one suite in a fresh process and sends its result to the parent over IPC. Any throw (a case
 * returning a wrong value included) exits non-zero with the error, so the run fails loudly.
 */
import { sendToParent, type SuiteModule, type SuiteParams } from './lib/suite-protocol.js';

const SUITES: Record<string, () => Promise<SuiteModule>> = {
  calls: () => import('./suites/calls.suite.js'),
  hygiene: () => import('./suites/hygiene.suite.js'),
  'memory-breakers': () => import('./suites/memory-breakers.suite.js'),
  'memory-inflight': () => import('./suites/memory-inflight.suite.js'),
  'idle-cpu': () => import('./suites/idle-cpu.suite.js'),
  'http-server': () => import('./suites/http-server.suite.js'),
  'http-client': () => import('./suites/http-client.suite.js'),
  'profile-target': () => import('./suites/profile-target.suite.js'),
  'overload-app': () => import('./suites/overload-app.suite.js'),
};

function parseParams(argv: readonly string[]): SuiteParams {
  const params: Record<string, string | boolean> = { quick: false };
  for (const arg of argv) {
    const match = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (match === null) throw new Error(`unexpected argument ${arg}`);
    params[match[1]!] = match[2] ?? true;
  }
  return params as SuiteParams;
}

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  const load = name === undefined ? undefined : SUITES[name];
  try {
    if (load === undefined) throw new Error(`unknown suite "${name}"; one of ${Object.keys(SUITES).join(', ')}`);
    const suite = await load();
    const data = await suite.run(parseParams(rest));
    await sendToParent({ type: 'result', data });
    return 0;
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`suite ${name} failed: ${message}\n`);
    await sendToParent({ type: 'error', message });
    return 1;
  }
}

// Exit explicitly: open breakers, Nest contexts and timers of the libraries under test must not
// keep a finished suite alive.
process.exit(await main());
