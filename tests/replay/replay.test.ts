// Every workflow type's recorded histories (tests/replay/histories/, kept by RECORD_HISTORIES=1 test
// runs: tests/replay/record-histories.ts) replay against the current workflow code. A change that would
// make a running workflow nondeterministic after an upgrade fails here; such a change needs the SDK's
// patching (patched()/deprecatePatch()) or a new workflow type (docs/decisions/, README "Upgrades").
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { HISTORIES_DIR, workflowTypes } from './record-histories.ts';

const WORKFLOWS = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

function recorded(type: string) {
  const dir = path.join(HISTORIES_DIR, type);
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.binpb'))
        .map((f) => ({ workflowId: `${type}/${f}`, history: proto.temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, f))) }))
    : [];
}

async function replay(workflowsPath: string, histories: ReturnType<typeof recorded>) {
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message.split('\n')[0]}`);
  }
  return failures;
}

describe('recorded histories replay against the current workflow code', () => {
  it('has histories of every workflow type the worker runs', () => {
    const types = workflowTypes();
    expect(types.length).toBeGreaterThan(5);
    expect(types.filter((t) => recorded(t).length === 0)).toEqual([]);
  });

  it('replays every recorded history without a nondeterminism error', async () => {
    const all = workflowTypes().flatMap(recorded);
    expect(all.length).toBeGreaterThanOrEqual(workflowTypes().length);
    expect(await replay(WORKFLOWS, all)).toEqual([]);
  }, 120_000);

  it('fails a change that reorders what a workflow does (so the check above can fail)', async () => {
    const histories = recorded('readinessCheck');
    expect(histories.length).toBeGreaterThan(0);
    const failures = await replay(fileURLToPath(new URL('./fixtures/reordered-readiness-check.ts', import.meta.url)), histories);
    expect(failures).toHaveLength(histories.length);
    expect(failures[0]).toMatch(/DeterminismViolationError/);
  }, 120_000);
});
