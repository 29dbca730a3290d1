import { describe, expect, it } from '@jest/globals';
import { readingOf, renderOverloadSection, replaceSection, SECTION_BEGIN, SECTION_END } from './overload-readme.js';
import { evaluateOverloadTargets, type OverloadPoint, type OverloadResult } from './overload-summary.js';
import { overloadPoint } from './testing/overload-fixture.js';
import { DOWNSTREAM_POOL } from './worker-pool.js';

describe('replaceSection', () => {
  const section = `${SECTION_BEGIN}\nnew\n${SECTION_END}`;

  it('appends the generated section the first time', () => {
    expect(replaceSection('# Title\n\ntext\n', section)).toBe(`# Title\n\ntext\n\n${section}\n`);
  });

  it('replaces only what lies between the markers', () => {
    const readme = `# Title\n\n${SECTION_BEGIN}\nold\n${SECTION_END}\n\n## After\n`;
    expect(replaceSection(readme, section)).toBe(`# Title\n\n${section}\n\n## After\n`);
  });
});

describe('renderOverloadSection', () => {
  const point = (variant: OverloadPoint['variant'], load: number, goodputRps: number, p99Ms: number, limitAtEnd?: number): OverloadPoint =>
    overloadPoint(variant, load, { goodputRps, p99Ms, ...(variant === 'static' ? { maxConcurrent: 16 } : {}), ...(limitAtEnd === undefined ? {} : { limitAtEnd }) });
  const points = [
    point('no-limit', 0.5, 80, 110),
    point('static', 0.5, 80, 110),
    point('adaptive', 0.5, 80, 110, 20),
    point('no-limit', 2, 0, Number.NaN),
    point('static', 2, 155, 150),
    point('adaptive', 2, 154, 200, 30),
  ];
  const result: OverloadResult = {
    node: 'v24.0.0',
    cores: 2,
    quick: false,
    pool: DOWNSTREAM_POOL,
    capacityRps: 160,
    sloMs: 1_000,
    clientTimeoutMs: 2_000,
    warmupMs: 2_000,
    measureMs: 8_000,
    loads: [0.5, 2],
    sweepLoad: 2,
    sweep: [points[4]!],
    bestMaxConcurrent: 16,
    points,
    unloadedP99Ms: 110,
    targets: evaluateOverloadTargets(points, 2, 110),
    durationSeconds: 60,
  };
  const section = renderOverloadSection(result, { cpuModel: 'Test CPU', cores: 2 });

  it('is one marked section with the plot, the tables, the verdicts and the method, and no date', () => {
    expect(section.startsWith(SECTION_BEGIN)).toBe(true);
    expect(section.endsWith(SECTION_END)).toBe(true);
    expect(section).toContain('## Surviving overload');
    expect(section).toContain('](./overload-goodput.svg)');
    expect(section.match(/\*\*MET\*\*/g)).toHaveLength(3);
    expect(section).toContain('### Method');
    expect(section).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  });

  it('reads the run in its own figures', () => {
    expect(readingOf(result)).toContain('goodput falls to 0 req/s at 2x');
    expect(readingOf(result)).toContain('ended between 30 and 30 at 1x and above, against 16 workers');
    expect(readingOf(result)).toContain('1.818× the unloaded p99');
  });
});
