// The built-in catalogue is consistent: one entry per key, actions named once, packs that hold existing
// entries and actions, and every job type's capability action is in it.
import { describe, expect, it } from '@jest/globals';
import { jobTypes } from '../jobs/registry.ts';
import { BUILT_IN_CATALOGUE, builtIn } from './catalogue.ts';
import { CreateCapabilityInput } from './model.ts';

describe('the built-in catalogue', () => {
  it('has one entry per key, each valid as a custom entry would have to be', () => {
    const keys = BUILT_IN_CATALOGUE.map((c) => c.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const c of BUILT_IN_CATALOGUE) {
      const parsed = CreateCapabilityInput.safeParse({ ...c, provider: c.provider ?? null, openclawTool: c.openclawTool ?? null });
      expect(parsed.error?.issues ?? []).toEqual([]);
      const actions = (c.actions ?? []).map((a) => a.key);
      expect(new Set(actions).size).toBe(actions.length);
      expect(c.kind === 'pack' ? (c.packItems ?? []).length : actions.length).toBeGreaterThan(0);
    }
  });

  it('holds in each pack only existing capabilities and their actions', () => {
    for (const pack of BUILT_IN_CATALOGUE.filter((c) => c.kind === 'pack')) {
      for (const item of pack.packItems!) {
        const member = builtIn(item.capabilityKey);
        expect(member?.kind).not.toBe('pack');
        expect(item.actions.filter((a) => !member!.actions!.some((m) => m.key === a))).toEqual([]);
      }
    }
  });

  it('offers every capability action a job type declares', () => {
    const declared = [...jobTypes().values()].flatMap((t) => (t.capability ? [t.capability] : []));
    expect(declared.length).toBeGreaterThanOrEqual(8);
    for (const { key, action } of declared) expect(builtIn(key)?.actions?.map((a) => a.key)).toContain(action);
  });
});
