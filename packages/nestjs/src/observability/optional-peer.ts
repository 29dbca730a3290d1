/** How optional peers are imported (a seam for specs). */
export type PeerImporter = (specifier: string) => Promise<unknown>;

/** Injection token of a `PeerImporter` replacing `import()` (specs simulate a missing peer); null by default. */
export const PEER_IMPORTER = Symbol.for('bulwark:peer-importer');

// A variable specifier: bundlers and `tsc` leave the optional peer out of the static graph, so
// @bulwark/nestjs loads without it; it is only imported when the feature that needs it is enabled.
const importPeer: PeerImporter = (specifier) => import(specifier);

/**
 * Imports an optional peer dependency. Resolves `undefined` when it is not installed; any other
 * failure (a broken install, a syntax error) rejects, since hiding it would hide a real problem.
 */
export async function importOptionalPeer<T>(specifier: string, importer: PeerImporter = importPeer): Promise<T | undefined> {
  try {
    const loaded = (await importer(specifier)) as T & { default?: T };
    // prom-client is CommonJS: its named exports may only be on `default` under some loaders.
    return hasNamedExports(loaded) ? loaded : (loaded.default ?? loaded);
  } catch (error) {
    if (isNotFound(error, specifier)) return undefined;
    throw error;
  }
}

/** Start-up fails with this when an option asks for an optional peer that is not installed. */
export function missingPeerError(option: string, peer: string): Error {
  return new Error(`ResilienceModule: \`${option}\` needs ${peer}, which is not installed: npm install ${peer}`);
}

function hasNamedExports(module: object): boolean {
  return Object.keys(module).some((key) => key !== 'default');
}

/** The peer itself is missing (not one of its own dependencies: that is a broken install). */
function isNotFound(error: unknown, specifier: string): boolean {
  if (!(error instanceof Error) || !error.message.includes(`'${specifier}'`)) return false;
  const code = (error as { code?: unknown }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(error.message);
}
