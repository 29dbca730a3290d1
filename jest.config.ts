import type { Config } from 'jest';

/**
 * One Jest run for every package. ts-jest compiles TypeScript as ESM (Node needs
 * --experimental-vm-modules, set by the npm scripts), and `@bulwark/*` imports resolve to the
 * packages' sources so specs never depend on a previous build.
 */
const config: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/docs', '<rootDir>/scripts'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/docs/\\.vitepress/'],
  moduleNameMapper: {
    '^@bulwark/core$': '<rootDir>/packages/core/src/index.ts',
    '^@bulwark/core/rxjs$': '<rootDir>/packages/core/src/rxjs/index.ts',
    '^@bulwark/http$': '<rootDir>/packages/http/src/index.ts',
    '^@bulwark/http/axios$': '<rootDir>/packages/http/src/axios/index.ts',
    '^@bulwark/http/nestjs$': '<rootDir>/packages/http/src/nestjs/index.ts',
    '^@bulwark/local-cluster$': '<rootDir>/packages/local-cluster/src/index.ts',
    '^@bulwark/nestjs$': '<rootDir>/packages/nestjs/src/index.ts',
    '^@bulwark/redis$': '<rootDir>/packages/redis/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  testTimeout: 20_000,
};

export default config;
