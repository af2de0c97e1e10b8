// The ESLint rule that keeps workflows/ deterministic must actually fire: Node built-ins, I/O libraries
// and activity implementations are refused there, while activity *types* are allowed.
import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { ESLint } from 'eslint';
import { REPO_ROOT } from '../../infra/config.ts';

// The files linted here do not exist, so they are in no TypeScript project: the type-aware parsing (and
// its one rule) is turned off for them, as it would otherwise stop at a parsing error before any rule ran.
const eslint = new ESLint({
  cwd: REPO_ROOT,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } }, rules: { '@typescript-eslint/no-floating-promises': 'off' } },
});
const lint = async (code: string, file = 'workflows/example.ts') => {
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-globals').map((m) => m.message);
};

describe('workflow determinism lint rule', () => {
  it('refuses Node built-ins, I/O libraries and activity implementations in workflows/', async () => {
    expect(await lint(`import fs from 'node:fs';\nexport const a = fs;\n`)).toEqual([expect.stringContaining('no Node built-ins')]);
    expect(await lint(`import crypto from 'crypto';\nexport const a = crypto;\n`)).toEqual([expect.stringContaining('no Node built-ins')]);
    expect(await lint(`import postgres from 'postgres';\nexport const a = postgres;\n`)).toEqual([expect.stringContaining('may not do I/O')]);
    expect(await lint(`import { getDb } from '../db/client.ts';\nexport const a = getDb;\n`)).toEqual([expect.stringContaining('may not do I/O')]);
    expect(await lint(`import { createReadinessActivities } from '../activities/readiness.ts';\nexport const a = createReadinessActivities;\n`)).toEqual([
      expect.stringContaining('activity types only'),
    ]);
    expect(await lint(`export function f() { return fetch('http://x'); }\n`)).toEqual([expect.stringContaining('use an activity')]);
  });

  it('allows activity types and the workflow SDK, and leaves other folders alone', async () => {
    expect(
      await lint(
        `import { proxyActivities } from '@temporalio/workflow';\nimport type { ReadinessActivities } from '../activities/readiness.ts';\nexport const a = proxyActivities<ReadinessActivities>({ startToCloseTimeout: '1 minute' });\n`,
      ),
    ).toEqual([]);
    expect(await lint(`import fs from 'node:fs';\nexport const a = fs;\n`, 'activities/example.ts')).toEqual([]);
  });

  it('keeps the protocol neutral, its schemas out of the workflow bundle, and the control plane out of the agent', async () => {
    expect(await lint(`import { NODE_ACTIONS } from '../protocol/node-actions.ts';\nexport const a = NODE_ACTIONS;\n`)).toEqual([expect.stringContaining('types only')]);
    expect(await lint(`import type { NodeActionName } from '../protocol/node-actions.ts';\nexport type A = NodeActionName;\n`)).toEqual([]);
    // The approval grant's check is the one protocol module written to run in the sandbox.
    expect(await lint(`import { grantProblem } from '../protocol/approval-grant.ts';\nexport const a = grantProblem;\n`)).toEqual([]);
    expect(await lint(`import { loadConfig } from '../infra/config.ts';\nexport const a = loadConfig;\n`, 'agent-worker/example.ts')).toEqual([
      expect.stringContaining('agent-worker/settings.ts'),
    ]);
    expect(await lint(`import { recordAudit } from '../db/audit.ts';\nexport const a = recordAudit;\n`, 'protocol/example.ts')).toEqual([expect.stringContaining('neutral')]);
  });
});
