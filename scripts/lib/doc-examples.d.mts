// Types of doc-examples.mjs, for its spec (scripts/test/doc-examples.spec.ts).

export interface ExampleDirective {
  line: number;
  run: boolean;
  continue: boolean;
  preludes: string[];
  hidden: string;
  /** Set for `<!-- example fragment: reason -->`: the block is not compiled. */
  fragment?: string;
}

export interface Example {
  file: string;
  line: number;
  code: string;
  directive: ExampleDirective | undefined;
}

export interface ComposedExample {
  source: string;
  segments: { start: number; end: number; origin: { file: string; line: number } | null }[];
  run: boolean;
}

export function extractExamples(markdown: string, file: string): Example[];
export function declaredNames(source: string): Set<string>;
export function pruneDeclarations(source: string, taken: Set<string>): string;
export function composeExample(example: Example, context: { previous?: ComposedExample | undefined; prelude: (name: string) => string }): ComposedExample;
export function originOf(composed: ComposedExample, line: number): { file: string; line: number } | null;
export function readMarkdown(path: string): string;
