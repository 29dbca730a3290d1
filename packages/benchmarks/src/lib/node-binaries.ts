import { execFile } from 'node:child_process';

/** The Node majors the per-call suite runs on by default: every one Bulwark supports. */
export const SUPPORTED_NODE_MAJORS: readonly number[] = [20, 22, 24];

/** `--nodes=20,24` as sorted, distinct majors; anything but a list of majors >= 20 is refused. */
export function parseNodeMajors(value: string): number[] {
  const majors = value.split(',').map((part) => part.trim().replace(/^v/, ''));
  const parsed = majors.map((part) => {
    if (!/^\d+$/.test(part) || Number(part) < 20) throw new Error(`--nodes takes Node majors >= 20, comma-separated (got "${value}")`);
    return Number(part);
  });
  return [...new Set(parsed)].sort((a, b) => a - b);
}

/**
 * The majors to run: the ones asked for (`--nodes`), else the supported ones and the machine's
 * own (which gives the full report), ascending.
 */
export function nodesToRun(requested: readonly number[] | undefined, ownMajor: number): number[] {
  const majors = requested ?? [...SUPPORTED_NODE_MAJORS, ownMajor];
  return [...new Set(majors)].sort((a, b) => a - b);
}

export function majorOf(version: string): number {
  return Number(/^v?(\d+)\./.exec(version)?.[1] ?? Number.NaN);
}

export type NodeBinary =
  | { readonly major: number; readonly path: string; readonly version: string }
  | { readonly major: number; readonly unavailable: string };

function run(file: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout.trim());
      else reject(new Error(`${error.message.split('\n')[0]}${stderr.trim() === '' ? '' : `: ${stderr.trim().split('\n').slice(-2).join(' ')}`}`));
    });
  });
}

/**
 * A Node binary of `major`: the running one if it is that major, else the `node` package of the
 * npm registry through npx (`npx -y -p node@N node -p process.execPath`; cached by npm after the
 * first call). A major that cannot be resolved, or a binary that does not run here, is reported as
 * unavailable with the reason, never thrown.
 */
export async function resolveNodeBinary(major: number): Promise<NodeBinary> {
  if (majorOf(process.version) === major) return { major, path: process.execPath, version: process.version };
  try {
    const lines = (await run('npx', ['-y', '-p', `node@${major}`, 'node', '-p', 'process.execPath'], 600_000)).split('\n');
    const path = lines[lines.length - 1]!.trim();
    const version = await run(path, ['-p', 'process.version'], 60_000);
    if (majorOf(version) !== major) return { major, unavailable: `npx gave Node ${version}, not ${major}` };
    return { major, path, version };
  } catch (error) {
    return { major, unavailable: `could not get Node ${major} from npm: ${error instanceof Error ? error.message : String(error)}` };
  }
}
