import { describe, expect, it } from '@jest/globals';
import { composeExample, extractExamples, originOf } from '../lib/doc-examples.mjs';

// How scripts/check-doc-examples.mjs reads the TypeScript blocks of the documentation.
const md = (...lines: string[]) => lines.join('\n');

describe('extractExamples', () => {
  it('takes every ts block, with the line of its fence, and leaves other languages alone', () => {
    const examples = extractExamples(md('# Title', '```sh', 'npm test', '```', '```ts', 'const a = 1;', '```', '```typescript', 'const b = 2;', '```'), 'a.md');
    expect(examples.map((example) => [example.line, example.code])).toEqual([
      [5, 'const a = 1;'],
      [8, 'const b = 2;'],
    ]);
  });

  it('reads the directive before a block: words and hidden code', () => {
    const [example] = extractExamples(md('<!-- example run prelude=nest,app', 'class A {', '...', '}', '-->', '', '```ts', 'x = 1;', '```'), 'a.md');
    expect(example!.directive).toMatchObject({ run: true, continue: false, preludes: ['nest', 'app'], hidden: 'class A {\n...\n}' });
  });

  it('marks a fragment, which needs a reason and takes nothing else', () => {
    const [example] = extractExamples(md('<!-- example fragment: one line of a listing -->', '```ts', 'foo: 1,', '```'), 'a.md');
    expect(example!.directive?.fragment).toBe('one line of a listing');
    expect(() => extractExamples(md('<!-- example fragment -->', '```ts', 'x', '```'), 'a.md')).toThrow('a fragment needs its reason');
    expect(() => extractExamples(md('<!-- example run fragment: x -->', '```ts', 'x', '```'), 'a.md')).toThrow('`fragment` comes first and alone');
    expect(() => extractExamples(md('<!-- example fragment: x', 'const hidden = 1;', '-->', '```ts', 'x', '```'), 'a.md')).toThrow('takes no hidden code');
  });

  it('refuses a directive that is not right before a ts block, or has an unknown word', () => {
    expect(() => extractExamples(md('<!-- example run -->', 'text', '```ts', 'x', '```'), 'a.md')).toThrow('a.md:1: an example directive must come right before');
    expect(() => extractExamples(md('<!-- example run -->', '```sh', 'x', '```'), 'a.md')).toThrow('not ```sh');
    expect(() => extractExamples(md('<!-- example fast -->', '```ts', 'x', '```'), 'a.md')).toThrow('unknown word "fast"');
  });
});

describe('composeExample', () => {
  it('puts the prelude first without what the block declares, the block inside its hidden code, and maps lines back', () => {
    const [example] = extractExamples(md('<!-- example prelude=p', 'class Box {', '...', '}', '-->', '```ts', '  size = 1;', '```'), 'a.md');
    const prelude = (name: string) => (name === 'p' ? "import { a, Box } from 'x';\nconst b = 1;" : '');
    const composed = composeExample(example!, { prelude });
    expect(composed.source).toBe("import { a } from 'x';\nconst b = 1;\nclass Box {\n  size = 1;\n}\nexport {};");
    expect(originOf(composed, 3)).toEqual({ file: 'a.md', line: 7 });
    expect(originOf(composed, 0)).toBeNull();
  });
});
