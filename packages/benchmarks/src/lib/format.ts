import type { Summary } from './stats.js';

export function int(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.round(value).toLocaleString('en-US');
}

export function signedInt(value: number): string {
  const text = int(value);
  return value > 0 && text !== '0' ? `+${text}` : text;
}

export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

/** `median [p25–p75]` in whole units. */
export function nsRange(summary: Summary): string {
  return `${int(summary.median)} [${int(summary.p25)}–${int(summary.p75)}]`;
}

/** `median [p25–p75]` with `digits` decimals, `unit` after the median (`0.86 µs [0.80–0.93]`). */
export function fixedRange(summary: Summary, digits: number, unit = ''): string {
  return `${fixed(summary.median, digits)}${unit} [${fixed(summary.p25, digits)}–${fixed(summary.p75, digits)}]`;
}

export function ratioRange(summary: Summary, digits = 2): string {
  return `${fixed(summary.median, digits)}× [${fixed(summary.p25, digits)}–${fixed(summary.p75, digits)}]`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
