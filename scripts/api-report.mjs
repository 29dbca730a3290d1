#!/usr/bin/env node
// The public API of each published entry point, as API Extractor reports it from the built .d.ts
// files: packages/<pkg>/etc/<name>.api.md, checked in, so a change to the API shows in review.
//
// Usage: node scripts/api-report.mjs [--update]
//   (no flag)  npm run api:check   fails, with the diff, when a report differs from the build
//   --update   npm run api:update  rewrites the reports from the build
// One report per API Extractor config, packages/*/api-extractor*.json (each extends
// api-extractor.base.json). Needs a build first (npm run build).
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { update: { type: 'boolean', default: false } }, strict: true });

const configs = readdirSync(join(ROOT, 'packages'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) => {
    const dir = join(ROOT, 'packages', entry.name);
    return readdirSync(dir).filter((file) => /^api-extractor(\..+)?\.json$/.test(file)).map((file) => join(dir, file));
  })
  .sort();

const problems = [];
for (const file of configs) {
  const config = ExtractorConfig.loadFileAndPrepare(file);
  const name = relative(ROOT, config.reportFilePath);
  if (!existsSync(config.mainEntryPointFilePath)) {
    problems.push(`${name}: ${relative(ROOT, config.mainEntryPointFilePath)} is missing: run npm run build first`);
    continue;
  }
  mkdirSync(config.reportFolder, { recursive: true });
  const messages = [];
  const result = Extractor.invoke(config, {
    localBuild: args.update,
    messageCallback: (message) => {
      message.handled = true;
      // The report's own verdict is ours to give (below); everything else that reaches the console is a problem.
      if (String(message.messageId).startsWith('console-api-report-')) return;
      if (message.logLevel === 'error' || message.logLevel === 'warning') messages.push(message.formatMessageWithLocation(ROOT));
    },
  });
  if (messages.length > 0) problems.push(`${name}: API Extractor reported\n${messages.map((m) => `    ${m}`).join('\n')}`);
  if (!result.apiReportChanged) {
    console.log(`${name} ok`);
  } else if (args.update) {
    console.log(`${name} updated`);
  } else {
    const diff = spawnSync('git', ['diff', '--no-index', '--no-color', '--', relative(ROOT, config.reportFilePath), relative(ROOT, config.reportTempFilePath)], { cwd: ROOT, encoding: 'utf8' });
    problems.push(`${name} is stale: the public API changed. Run \`npm run api:update\` and commit the report.\n${diff.stdout || `(no report at ${name} yet)`}`);
  }
}

if (problems.length > 0) {
  console.error(`\napi:${args.update ? 'update' : 'check'} failed:\n${problems.join('\n')}`);
  process.exit(1);
}
