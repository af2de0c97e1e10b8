// The job-type registry: one definition per type, each consistent with how the kernel starts it.
import { describe, expect, it } from '@jest/globals';
import { NODE_ACTIONS } from '../../protocol/node-actions.ts';
import { defineJobType } from './job-type.ts';
import { buildRegistry, jobTypeOf, jobTypes } from './registry.ts';

const workflow = async (_input: { jobId: string }) => 'done';

describe('job-type registry', () => {
  it('refuses two definitions of one type, and a type that is not snake_case', () => {
    const a = defineJobType({ type: 'twice', label: 'A', workflow, approval: 'none', runsOn: 'control-plane', retry: { safe: false, why: 'no' } });
    expect(() => buildRegistry([a, { ...a, label: 'B' }])).toThrow('job type "twice" is defined twice');
    expect(() => defineJobType({ ...a, type: 'Not-Snake' })).toThrow('job type "Not-Snake" must be snake_case');
  });

  it('lists every job type of the product once, each with a workflow, a label and a retry rule', () => {
    const types = [...jobTypes().keys()].sort();
    expect(types).toEqual([
      'adopt_openclaw',
      'apply_capabilities',
      'bundle_check',
      'deploy_openclaw',
      'fleet_bulk',
      'fleet_rollout',
      'health_check',
      'inventory_refresh',
      'read_logs',
      'readiness_check',
      'remove_instance',
      'restart_gateway',
      'start_instance',
      'stop_instance',
      'upgrade_openclaw',
      'workflow_run',
    ]);
    for (const definition of jobTypes().values()) {
      expect(typeof definition.workflow).toBe('function');
      expect(definition.label).toMatch(/^[A-Z]/);
      if (!definition.retry.safe) expect(definition.retry.why).toMatch(/\.$/);
    }
    // What runs at most once is never offered a retry.
    expect(jobTypeOf('restart_gateway')!.retry.safe).toBe(false);
    expect(jobTypeOf('remove_instance')!.retry.safe).toBe(false);
    expect(jobTypeOf('readiness_check')).toMatchObject({ runsOn: 'control-plane', approval: 'none' });
    expect(jobTypeOf('no_such_type')).toBeUndefined();
    // A type whose run changes the machine asks for an approval (the control plane signs such a step only then).
    for (const definition of jobTypes().values()) {
      const changes = (definition.nodeActions ?? []).filter((a) => NODE_ACTIONS[a].effect === 'changes');
      if (changes.length) expect([definition.type, definition.approval]).toEqual([definition.type, 'required']);
      if (definition.runsOn === 'node') expect(definition.nodeActions?.length).toBeGreaterThan(0);
    }
  });
});
