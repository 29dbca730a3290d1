import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type DefaultTheme } from 'vitepress';

const REPOSITORY = 'https://github.com/bulwark-resilience/bulwark';

/** The API reference's sidebar, written by TypeDoc (`npm run docs:api`) next to the pages it generates. */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const file = fileURLToPath(new URL('../api/typedoc-sidebar.json', import.meta.url));
  if (!existsSync(file)) {
    throw new Error('docs/api is missing: run `npm run docs` (TypeDoc writes the API reference, then VitePress builds the site)');
  }
  return JSON.parse(readFileSync(file, 'utf8')) as DefaultTheme.SidebarItem[];
}

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'Start here',
    items: [
      { text: 'Getting started', link: '/getting-started' },
      { text: 'Configuring the module', link: '/configuration' },
      { text: 'Decorators and policy order', link: '/decorators' },
    ],
  },
  {
    text: 'Policies',
    items: [
      { text: 'Circuit breaker', link: '/circuit-breaker' },
      { text: 'Per-key breakers', link: '/per-key-breakers' },
      { text: 'Retry', link: '/retry' },
      { text: 'Timeout', link: '/timeout' },
      { text: 'Fallback', link: '/fallback' },
      { text: 'Bulkhead', link: '/bulkhead' },
      { text: 'Surviving overload', link: '/surviving-overload' },
    ],
  },
  {
    text: 'Calls and responses',
    items: [
      { text: 'Observables and HttpService', link: '/observables-and-http-service' },
      { text: 'Outbound HTTP and deadlines', link: '/outbound-http-and-deadlines' },
      { text: 'Errors and HTTP responses', link: '/errors-and-http-responses' },
      { text: 'Without Nest: @bulwark/core', link: '/core-without-nest' },
    ],
  },
  {
    text: 'Operating it',
    items: [
      { text: 'Health and Kubernetes probes', link: '/health-and-kubernetes-probes' },
      { text: 'Observability', link: '/observability' },
      { text: 'Live view and admin', link: '/live-view-and-admin' },
      { text: 'Running replicas with Redis', link: '/running-replicas-with-redis' },
    ],
  },
  {
    text: 'More',
    items: [
      { text: 'Testing your failure paths', link: '/testing-failure-paths' },
      { text: 'Migrating from other libraries', link: '/migration' },
      { text: 'FAQ', link: '/faq' },
    ],
  },
];

export default defineConfig({
  title: 'Bulwark',
  description: 'Resilience for NestJS: circuit breaker, retry, timeout, fallback and bulkhead.',
  lang: 'en-US',
  // The specs under docs/test and TypeDoc's settings are not pages.
  srcExclude: ['test/**', 'README.md'],
  cleanUrls: false,
  lastUpdated: false,
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/getting-started' },
      { text: 'API', link: '/api/' },
      { text: 'Performance', link: `${REPOSITORY}/tree/main/packages/benchmarks#readme` },
    ],
    sidebar: {
      '/api/': [{ text: 'API reference', items: apiSidebar() }],
      '/': guide,
    },
    // Built-in search: the index ships with the site, so it works offline.
    search: { provider: 'local' },
    socialLinks: [{ icon: 'github', link: REPOSITORY }],
    outline: { level: [2, 3] },
  },
});
