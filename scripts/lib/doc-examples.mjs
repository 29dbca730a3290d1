// The TypeScript examples of the documentation, as scripts/check-doc-examples.mjs compiles them.
//
// Every ```ts (or ```typescript) fenced block of a Markdown file is one example, compiled as its own
// ES module. An HTML comment right before the fence (blank lines may separate them) tunes it; readers
// never see it, on GitHub, npm or the site:
//
//   <!-- example [run] [continue] [prelude=NAME[,NAME...]]
//   hidden code (optional, any number of lines)
//   -->
//
// or, for a block that is a fragment on purpose (a line of a larger file, pseudo-code), the opt-out:
//
//   <!-- example fragment: why it cannot compile -->
//
// - `prelude=NAME`: the shared prelude scripts/doc-examples/preludes/NAME.ts comes first (imports and
//   declarations many examples need). A prelude statement that declares a name the example itself
//   declares (an import it shows, a class it defines) is left out, so an example may show any of its
//   imports and get the rest from the prelude.
// - hidden code: written as is before the block; a line that is only `...` marks where the block goes
//   inside it (e.g. a class around decorated methods), the rest of the hidden code after it.
// - `continue`: the previous example of the same file (as compiled: prelude, hidden code and block)
//   comes first, so a page can build one example over several blocks.
// - `run`: after the whole set compiles, the example runs with Node (it must exit 0 within 60 s).
//
// - `fragment: reason`: the block is shown, not compiled; the reason is required and nothing else
//   may go with it (prefer hidden code, which keeps the block checked).
//
// An example without a comment must compile as it is shown.
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/;
const TS_LANGS = new Set(['ts', 'typescript']);
const DIRECTIVE = /^<!--\s*example\b(.*)$/;

/**
 * The examples of one Markdown file: each with the line of its opening fence (1-based), its code,
 * and the directive before it, if any. Fences inside other fences are not examples.
 */
export function extractExamples(markdown, file) {
  const lines = markdown.split('\n');
  const examples = [];
  let pendingDirective;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const directiveStart = DIRECTIVE.exec(line.trim());
    if (directiveStart) {
      const start = i;
      const body = [];
      let head = directiveStart[1];
      let closed = head.includes('-->');
      if (closed) head = head.slice(0, head.indexOf('-->'));
      while (!closed && ++i < lines.length) {
        const next = lines[i];
        if (next.includes('-->')) {
          const before = next.slice(0, next.indexOf('-->'));
          if (before.trim() !== '') body.push(before);
          closed = true;
        } else {
          body.push(next);
        }
      }
      if (!closed) throw new Error(`${file}:${start + 1}: an example directive that is never closed with -->`);
      pendingDirective = { line: start + 1, ...parseDirective(head, body, `${file}:${start + 1}`) };
      continue;
    }
    const fence = FENCE.exec(line);
    if (!fence) {
      if (line.trim() !== '' && pendingDirective) {
        throw new Error(`${file}:${pendingDirective.line}: an example directive must come right before a \`\`\`ts block`);
      }
      continue;
    }
    const [, indent, marker, lang] = fence;
    const code = [];
    const open = i;
    while (++i < lines.length) {
      const closing = new RegExp(`^\\s*${marker[0]}{${marker.length},}\\s*$`).exec(lines[i]);
      if (closing) break;
      code.push(lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i].trimStart());
    }
    if (TS_LANGS.has(lang.toLowerCase())) {
      examples.push({ file, line: open + 1, code: code.join('\n'), directive: pendingDirective });
    } else if (pendingDirective) {
      throw new Error(`${file}:${pendingDirective.line}: an example directive must come right before a \`\`\`ts block, not \`\`\`${lang}`);
    }
    pendingDirective = undefined;
  }
  if (pendingDirective) throw new Error(`${file}:${pendingDirective.line}: an example directive with no \`\`\`ts block after it`);
  return examples;
}

function parseDirective(head, body, where) {
  const fragment = /^\s*fragment\b(.*)$/s.exec(head);
  if (fragment) {
    const reason = fragment[1].replace(/^\s*:/, '').trim();
    if (!fragment[1].trimStart().startsWith(':') || reason === '') {
      throw new Error(`${where}: a fragment needs its reason: <!-- example fragment: why it cannot compile -->`);
    }
    if (body.some((line) => line.trim() !== '')) throw new Error(`${where}: a fragment is not compiled, so it takes no hidden code`);
    return { run: false, continue: false, preludes: [], hidden: '', fragment: reason };
  }
  const directive = { run: false, continue: false, preludes: [], hidden: body.join('\n') };
  for (const word of head.trim().split(/\s+/).filter(Boolean)) {
    if (word === 'run') directive.run = true;
    else if (word === 'continue') directive.continue = true;
    else if (word.startsWith('prelude=')) directive.preludes.push(...word.slice('prelude='.length).split(',').filter(Boolean));
    else if (word === 'fragment' || word.startsWith('fragment:')) throw new Error(`${where}: \`fragment\` comes first and alone: <!-- example fragment: why it cannot compile -->`);
    else throw new Error(`${where}: unknown word "${word}" in an example directive (known: run, continue, prelude=NAME, fragment: REASON)`);
  }
  return directive;
}

/** Names a module declares at its top level: imports, classes, functions, variables, types. */
export function declaredNames(source) {
  const file = ts.createSourceFile('names.ts', source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names = new Set();
  for (const statement of file.statements) for (const name of statementNames(statement, file)) names.add(name);
  return names;
}

function statementNames(statement, file) {
  if (ts.isImportDeclaration(statement)) return importNames(statement, file).map((entry) => entry.local);
  if (ts.isImportEqualsDeclaration(statement)) return [statement.name.text];
  if (ts.isVariableStatement(statement)) return statement.declarationList.declarations.flatMap((declaration) => bindingNames(declaration.name));
  if (
    (ts.isClassDeclaration(statement) ||
      ts.isFunctionDeclaration(statement) ||
      ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement) ||
      ts.isEnumDeclaration(statement) ||
      ts.isModuleDeclaration(statement)) &&
    statement.name !== undefined &&
    ts.isIdentifier(statement.name)
  ) {
    return [statement.name.text];
  }
  return [];
}

function bindingNames(name) {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) => (ts.isOmittedExpression(element) ? [] : bindingNames(element.name)));
}

function importNames(statement, file) {
  const clause = statement.importClause;
  if (clause === undefined) return [];
  const names = [];
  if (clause.name) names.push({ local: clause.name.text, kind: 'default' });
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) names.push({ local: bindings.name.text, kind: 'namespace' });
  if (bindings && ts.isNamedImports(bindings)) {
    for (const element of bindings.elements) {
      names.push({ local: element.name.text, kind: 'named', text: element.getText(file) });
    }
  }
  return names;
}

/**
 * A prelude without what `taken` already declares; the names it keeps are added to `taken`. An
 * import loses the specifiers already declared (and goes when none is left, unless it imports for
 * its side effects only); any other statement goes as a whole when it declares a taken name.
 */
export function pruneDeclarations(source, taken) {
  const file = ts.createSourceFile('prelude.ts', source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const kept = [];
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement) && statement.importClause !== undefined) {
      const clause = statement.importClause;
      const names = importNames(statement, file).filter((entry) => !taken.has(entry.local));
      names.forEach((entry) => taken.add(entry.local));
      if (names.length === 0) continue;
      const from = statement.moduleSpecifier.getText(file);
      const typeOnly = clause.isTypeOnly ? 'type ' : '';
      const defaultName = names.find((entry) => entry.kind === 'default')?.local;
      const namespace = names.find((entry) => entry.kind === 'namespace')?.local;
      const named = names.filter((entry) => entry.kind === 'named').map((entry) => entry.text);
      const parts = [
        ...(defaultName ? [defaultName] : []),
        ...(namespace ? [`* as ${namespace}`] : []),
        ...(named.length > 0 ? [`{ ${named.join(', ')} }`] : []),
      ];
      kept.push(`import ${typeOnly}${parts.join(', ')} from ${from};`);
      continue;
    }
    const names = statementNames(statement, file);
    if (names.some((name) => taken.has(name))) continue;
    names.forEach((name) => taken.add(name));
    kept.push(statement.getFullText(file).replace(/^\n+/, ''));
  }
  return kept.join('\n');
}

/**
 * The module an example compiles as, and where its lines come from: `segments` maps each range of
 * generated lines (0-based, end exclusive) to the Markdown line of its first line, or to `null`
 * for hidden code and preludes.
 */
export function composeExample(example, { previous, prelude }) {
  const directive = example.directive ?? { run: false, continue: false, preludes: [], hidden: '' };
  const segments = [];
  const parts = [];
  let lineCount = 0;
  const push = (text, origin) => {
    if (text === '') return;
    const count = text.split('\n').length;
    segments.push({ start: lineCount, end: lineCount + count, origin });
    parts.push(text);
    lineCount += count;
  };

  const [hiddenBefore, hiddenAfter] = splitHidden(directive.hidden);
  const body = [previous?.source ?? '', hiddenBefore, example.code, hiddenAfter].join('\n');
  const taken = declaredNames(body);
  for (const name of directive.preludes) push(pruneDeclarations(prelude(name), taken), null);
  if (previous) {
    for (const segment of previous.segments) {
      segments.push({ start: lineCount + segment.start, end: lineCount + segment.end, origin: segment.origin });
    }
    parts.push(previous.source);
    lineCount += previous.source.split('\n').length;
  }
  push(hiddenBefore, null);
  push(example.code, { file: example.file, line: example.line + 1 });
  push(hiddenAfter, null);
  push('export {};', null);
  return { source: parts.join('\n'), segments, run: directive.run };
}

function splitHidden(hidden) {
  const lines = hidden.split('\n');
  const at = lines.findIndex((line) => line.trim() === '...');
  if (at === -1) return [hidden.trim() === '' ? '' : hidden, ''];
  return [lines.slice(0, at).join('\n'), lines.slice(at + 1).join('\n')];
}

/** Where a line (0-based) of a composed example comes from: a Markdown position, or hidden code. */
export function originOf(composed, line) {
  const segment = composed.segments.find((candidate) => line >= candidate.start && line < candidate.end);
  if (segment?.origin == null) return null;
  return { file: segment.origin.file, line: segment.origin.line + (line - segment.start) };
}

export function readMarkdown(path) {
  return readFileSync(path, 'utf8').replace(/\r\n/g, '\n');
}
