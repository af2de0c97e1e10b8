// The editor's pure parts: the form fields read from a provider action's real input schema (as the loader
// sends it), each field's text to the value saved and back, step ids from names, and errors by step.
import { describe, expect, it } from '@jest/globals';
import { providerOf } from '../../../../api/connections/providers/registry.ts';
import { inputSchemaOf } from '../../../../api/workflow-definitions/building-blocks.ts';
import { Steps } from '../../../../protocol/workflow-definition.ts';
import { conditionValueOf, draftOf, errorsByStep, moved, newDraft, renamed, slugOf, stepOf, type Draft } from './draft.ts';
import { fieldsOf, inputOf, textsOf } from './input-fields.ts';

const driveList = fieldsOf(inputSchemaOf(providerOf('google_drive').actions['files.list']!.input));
const composio = fieldsOf(inputSchemaOf(providerOf('composio').actions['tools.execute']!.input));
const fieldsFor = (capabilityKey: string, action: string) => (capabilityKey === 'google_drive' && action === 'files.list' ? driveList : []);

describe('input fields', () => {
  it('reads one field per property of the action’s schema, with its type, default, range and description', () => {
    expect(driveList.map((f) => [f.name, f.type])).toEqual([
      ['q', 'string'],
      ['folderId', 'string'],
      ['pageSize', 'integer'],
      ['limit', 'integer'],
      ['pageToken', 'string'],
    ]);
    expect(driveList.find((f) => f.name === 'pageSize')).toEqual({ name: 'pageSize', type: 'integer', required: false, defaultText: '100', min: 1, max: 1000 });
    expect(driveList[0]!.description).toContain('Drive search query');
    expect(composio.find((f) => f.name === 'arguments')).toMatchObject({ type: 'json', defaultText: '{}' });
    expect(composio.find((f) => f.name === 'tool')?.required).toBe(true);
  });

  it('turns texts into the input: numbers become numbers, references stay strings, empty fields are left out', () => {
    const input = inputOf(driveList, { folderId: 'shared', pageSize: '25', limit: '{{ steps.count.output.n }}', q: '', pageToken: '  ' });
    expect(input).toEqual({ folderId: 'shared', pageSize: 25, limit: '{{ steps.count.output.n }}' });
    // Not a number: sent as typed, so the save names the field.
    expect(inputOf(driveList, { pageSize: 'many' })).toEqual({ pageSize: 'many' });
    expect(inputOf(composio, { tool: 'GMAIL_SEND', arguments: '{"to":"a@b.test"}' })).toEqual({ tool: 'GMAIL_SEND', arguments: { to: 'a@b.test' } });
    expect(textsOf(composio, { arguments: { to: 'a@b.test' } })).toEqual({ arguments: '{"to":"a@b.test"}' });
    expect(textsOf(driveList, input)).toEqual({ folderId: 'shared', pageSize: '25', limit: '{{ steps.count.output.n }}' });
  });
});

describe('drafts', () => {
  it('generates a unique slug id from the name until one is typed', () => {
    expect(slugOf('List the Acme shared folder!', new Set())).toBe('list-the-acme-shared-folder');
    expect(slugOf('List', new Set(['list', 'list-2']))).toBe('list-3');
    expect(slugOf('42 files', new Set())).toBe('step-42-files');
    expect(slugOf('x'.repeat(80), new Set(['x'.repeat(50)]))).toBe(`${'x'.repeat(48)}-2`);
    const a = newDraft('notify', [], 'a');
    const b = newDraft('notify', [a], 'b');
    expect([a.id, b.id]).toEqual(['notify', 'notify-2']);
    expect(renamed(b, 'Tell the office', [a, b]).id).toBe('tell-the-office');
    expect(renamed({ ...b, idEdited: true }, 'Tell the office', [a, b]).id).toBe('notify-2');
  });

  it('makes steps the step model accepts, and reads saved steps back the same', () => {
    const list: Draft = {
      ...newDraft('connection_action', [], 'l'),
      name: 'List',
      id: 'list',
      capabilityKey: 'google_drive',
      action: 'files.list',
      connectionId: '00000000-0000-4000-8000-000000000001',
      inputTexts: { folderId: 'shared', pageSize: '10' },
    };
    const restart: Draft = {
      ...newDraft('instance_action', [list], 'r'),
      action: 'restart',
      instanceId: '00000000-0000-4000-8000-000000000002',
      confirmation: { approvalsNeeded: '2', approverGroupIds: ['00000000-0000-4000-8000-000000000003'], approverRoles: [], expiresInHours: '', onExpiry: 'skip' },
    };
    const steps = [list, restart].map((d) => stepOf(d, fieldsFor));
    expect(Steps.parse(steps)).toEqual(steps);
    expect(steps[1]!.confirmation).toEqual({ approvalsNeeded: 2, approverGroupIds: ['00000000-0000-4000-8000-000000000003'], onExpiry: 'skip' });
    expect(steps.map((s, i) => stepOf(draftOf(s, fieldsFor, `k${i}`), fieldsFor))).toEqual(steps);
    expect(moved([list, restart], 'r', -1).map((d) => d.key)).toEqual(['r', 'l']);
    expect(moved([list, restart], 'r', 1).map((d) => d.key)).toEqual(['l', 'r']);
  });

  it('makes "run only if" a condition on an earlier step’s output, its value typed as JSON where it reads as one, and reads it back', () => {
    const check: Draft = { ...newDraft('instance_action', [], 'c'), id: 'check-gw', instanceId: '00000000-0000-4000-8000-000000000002' };
    const restart: Draft = {
      ...newDraft('instance_action', [check], 'r'),
      action: 'restart',
      instanceId: check.instanceId,
      when: { stepId: 'check-gw', path: ' health.healthy ', is: 'equal', to: 'false' },
    };
    const steps = [check, restart].map((d) => stepOf(d, fieldsFor));
    expect(steps[0]).not.toHaveProperty('when');
    expect(steps[1]!.when).toEqual({ value: '{{ steps.check-gw.output.health.healthy }}', is: 'equal', to: false });
    expect(Steps.parse(steps)).toEqual(steps);
    expect(stepOf({ ...restart, when: { stepId: 'check-gw', path: '', is: 'not_equal', to: 'down' } }, fieldsFor).when).toEqual({
      value: '{{ steps.check-gw.output }}',
      is: 'not_equal',
      to: 'down',
    });
    expect(['true', 'null', '-2.5', '"true"', 'down', '', '{"a":1}', '[1]'].map(conditionValueOf)).toEqual([true, null, -2.5, 'true', 'down', '', '{"a":1}', '[1]']);
    // Saved and read back: the same step, and text that would read as another value comes back quoted.
    for (const to of [false, 3, null, 'down', 'true', '7', '{"a":1}']) {
      const step = stepOf({ ...restart, when: { ...restart.when!, to: JSON.stringify(to) } }, fieldsFor);
      expect(step.when!.to).toEqual(to);
      expect(stepOf(draftOf(step, fieldsFor, 'k'), fieldsFor)).toEqual(step);
    }
    expect(draftOf(steps[1]!, fieldsFor, 'k').when).toEqual({ stepId: 'check-gw', path: 'health.healthy', is: 'equal', to: 'false' });
    expect(draftOf({ ...steps[1]!, when: { ...steps[1]!.when!, to: 'true' } }, fieldsFor, 'k').when!.to).toBe('"true"');
    expect(errorsByStep({ 'steps.1.when.value': 'step "restart" refers to step "check-gw" which comes later' }, ['c', 'r']).steps).toEqual({
      r: { 'when.value': 'step "restart" refers to step "check-gw" which comes later' },
    });
  });

  it('sorts the save’s errors by the step they were sent as, whatever the order now', () => {
    expect(errorsByStep({ 'steps.1.input.pageSize': 'pageSize is at most 1000', 'steps.0': 'bad', name: 'name is required', 'steps.7.id': 'x' }, ['a', 'b'])).toEqual({
      steps: { b: { 'input.pageSize': 'pageSize is at most 1000' }, a: { '': 'bad' } },
      others: { name: 'name is required', 'steps.7.id': 'x' },
    });
  });
});
