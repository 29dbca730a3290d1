import { describe, expect, it } from '@jest/globals';
import { escapeXml, goodputSvg, niceStep } from './goodput-plot.js';

/** Well-formed enough for an SVG viewer: every tag closed in order, attributes quoted, no raw `<`/`&` in text. */
function expectWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-zA-Z]+)((?:\s+[a-zA-Z][a-zA-Z0-9:-]*="[^"<]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = match;
    if (selfClosing === '/') continue;
    if (closing === '/') expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
  // Nothing that looks like a tag was left unmatched (an unquoted attribute, a stray `<`).
  expect(svg.replace(/<\/?[a-zA-Z]+(?:\s+[a-zA-Z][a-zA-Z0-9:-]*="[^"<]*")*\s*\/?>/g, '')).not.toMatch(/[<>]|&(?!(amp|lt|gt|quot);)/);
}

const SERIES = [
  { label: 'no limit', points: [{ x: 0.5, y: 160 }, { x: 1, y: 300 }, { x: 2, y: 0 }, { x: 3, y: 0 }] },
  { label: 'static <16> & co', points: [{ x: 0.5, y: 160 }, { x: 1, y: 310 }, { x: 2, y: 300 }, { x: 3, y: 290 }] },
  { label: 'adaptive', points: [{ x: 3, y: 295 }, { x: 0.5, y: 160 }, { x: 2, y: 305 }] },
];

describe('goodputSvg', () => {
  const svg = goodputSvg(SERIES, { title: 'Goodput', xLabel: 'offered load', yLabel: 'req/s', capacity: 320 });

  it('produces one standalone, well-formed SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expectWellFormed(svg);
  });

  it('draws one polyline per series, its points sorted by x, a legend entry each, and the ideal line', () => {
    const series = [...svg.matchAll(/<polyline class="series" data-label="([^"]*)"[^>]* points="([^"]*)"/g)];
    expect(series.map((match) => match[1])).toEqual(['no limit', 'static &lt;16&gt; &amp; co', 'adaptive']);
    const xs = series[2]![2]!.split(' ').map((pair) => Number(pair.split(',')[0]));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(series.map((match) => match[2]!.split(' ').length)).toEqual([4, 4, 3]);
    expect(svg).toContain('>static &lt;16&gt; &amp; co</text>');
    expect(svg.match(/class="ideal"/g)).toHaveLength(1);
    expect(svg.match(/<circle /g)).toHaveLength(11);
  });

  it('places y = 0 on the x axis and the tallest value inside the plot', () => {
    const ys = [...svg.matchAll(/<circle cx="[^"]*" cy="([^"]*)"/g)].map((match) => Number(match[1]));
    expect(Math.max(...ys)).toBe(420 - 56);
    expect(Math.min(...ys)).toBeGreaterThan(48);
  });
});

describe('niceStep and escapeXml', () => {
  it('steps by 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(320, 5)).toBe(100);
    expect(niceStep(3, 6)).toBe(0.5);
    expect(niceStep(95, 5)).toBe(20);
    expect(niceStep(0)).toBe(1);
  });

  it('escapes markup in text', () => {
    expect(escapeXml('a < b & "c" > d')).toBe('a &lt; b &amp; &quot;c&quot; &gt; d');
  });
});
