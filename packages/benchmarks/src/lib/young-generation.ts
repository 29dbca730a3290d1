import v8 from 'node:v8';

/** The size of this isolate's young generation (V8's `new_space`), in MiB. */
export function youngGenerationMiB(): number {
  return (v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? Number.NaN) / 2 ** 20;
}

/**
 * Grows this isolate's young generation to its maximum, as a busy application's is. V8 grows it
 * only when enough objects survive scavenges: an isolate that runs nothing but the bare call (whose
 * promises all die young) would stay at its initial size and scavenge many times as often as an
 * isolate that booted Nest and ran the cases (measured on Node 20: 2 MiB against 32 MiB, the bare
 * call up to ~1.5x slower). Larger survivor sets in turn, since the largest sizes (128 MiB on Node 24)
 * need more survivors to be reached. Once grown, the bare call's allocation rate keeps it so.
 */
export function growYoungGeneration(): number {
  let size = youngGenerationMiB();
  for (const survivorsPerRound of [250_000, 1_000_000, 2_000_000]) {
    let survivors: { readonly i: number }[] = [];
    let stableFor = 0;
    for (let i = 0; stableFor < 3; i++) {
      survivors.push({ i });
      if (survivors.length < survivorsPerRound) continue;
      survivors = [];
      const grown = youngGenerationMiB();
      stableFor = grown > size ? 0 : stableFor + 1;
      size = grown;
    }
  }
  return size;
}
