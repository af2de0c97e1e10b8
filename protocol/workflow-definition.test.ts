import { describe, expect, it } from '@jest/globals';
import type { z } from 'zod';
import { driveListStep } from '../tests/jest/sample-steps.ts';
import {
  conditionHolds,
  conditionInWords,
  conditionReason,
  DefinitionContent,
  DefinitionExport,
  referencesOf,
  resolveInputs,
  resolveStep,
  Step,
  Steps,
  UnresolvedReferenceError,
  type StepCondition,
} from './workflow-definition.ts';

const CONNECTION = '4b7f3c1e-8f2a-4d7b-9c3e-1a2b3c4d5e6f';
const INSTANCE = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

const list = driveListStep(CONNECTION, { folderId: 'abc' });
const get = (input: Record<string, unknown>) => ({
  id: 'get',
  name: 'Read the first file',
  kind: 'connection_action',
  capabilityKey: 'google_drive',
  action: 'files.get',
  connectionId: CONNECTION,
  input,
});
const restart = {
  id: 'restart',
  name: 'Restart the gateway',
  kind: 'instance_action',
  action: 'restart',
  instanceId: INSTANCE,
  confirmation: { approvalsNeeded: 2, onExpiry: 'skip' },
};

/** The field errors of a refused value, as the API reports them (path joined with dots). */
function errorsOf(schema: z.ZodType, value: unknown): Record<string, string> {
  const r = schema.safeParse(value);
  if (r.success) throw new Error('expected the value to be refused');
  return Object.fromEntries(r.error.issues.map((i) => [i.path.join('.'), i.message]));
}

describe('the step model', () => {
  it('takes each kind of step, defaulting input to {} and onExpiry to fail', () => {
    const steps = Steps.parse([
      list,
      restart,
      { id: 'ask', name: 'Ask Jo', kind: 'wait_for_person', message: 'Check the list', confirmation: {} },
      { id: 'tell', name: 'Tell', kind: 'notify', message: 'Done' },
    ]);
    expect(steps[1]).toMatchObject({ kind: 'instance_action', input: {}, confirmation: { approvalsNeeded: 2, onExpiry: 'skip' } });
    expect(steps[2]).toMatchObject({ confirmation: { onExpiry: 'fail' } });
  });

  it('refuses a bad step naming the field', () => {
    expect(errorsOf(Steps, [{ ...restart, action: 'remove' }])).toEqual({ '0.action': 'action is one of health, restart' });
    expect(errorsOf(Steps, [{ ...list, id: 'List Files' }])).toEqual({ '0.id': expect.stringContaining('id is a slug') });
    expect(errorsOf(Steps, [{ ...list, kind: 'shell' }])).toEqual({ '0.kind': 'kind is one of connection_action, instance_action, wait_for_person, notify' });
    expect(errorsOf(Steps, [{ ...restart, confirmation: { approvalsNeeded: 6 } }])).toEqual({ '0.confirmation.approvalsNeeded': 'approvalsNeeded is 1 to 5' });
    expect(errorsOf(Steps, [{ ...restart, confirmation: { approverRoles: ['root'] } }])).toEqual({
      '0.confirmation.approverRoles.0': expect.stringContaining('approverRoles may hold only'),
    });
    expect(errorsOf(Steps, [{ ...restart, confirmation: { onExpiry: 'retry' } }])).toEqual({ '0.confirmation.onExpiry': 'onExpiry is fail or skip' });
    expect(Object.keys(errorsOf(Steps, [{ ...list, script: 'rm -rf /' }]))).toEqual(['0']);
  });

  it('refuses two steps with one id', () => {
    expect(errorsOf(Steps, [list, { ...restart, id: 'list' }])).toEqual({ '1.id': 'the id "list" is already used by step 1' });
  });

  it('refuses a reference to a later, unknown or its own step, naming the step and the field', () => {
    const early = [get({ fileId: '{{ steps.list.output.files.0.id }}' }), list];
    expect(errorsOf(Steps, early)).toEqual({ '0.input.fileId': 'step "get" refers to step "list" which comes later' });
    expect(errorsOf(Steps, [list, get({ fileId: '{{ steps.lst.output.files.0.id }}' })])).toEqual({ '1.input.fileId': 'step "get" refers to step "lst", which does not exist' });
    expect(errorsOf(Steps, [get({ fileId: '{{steps.get.output.id}}' })])).toEqual({ '0.input.fileId': expect.stringContaining('refers to its own step "get"') });
    const message = { id: 'tell', name: 'Tell', kind: 'notify', message: 'Found {{ steps.list.output.files.0.name }}' };
    expect(errorsOf(Steps, [message, list])).toEqual({ '0.message': 'step "tell" refers to step "list" which comes later' });
    // Deep in the input, too.
    expect(Object.keys(errorsOf(Steps, [get({ a: { b: ['x', '{{ steps.list.output }}'] } }), list]))).toEqual(['0.input.a.b.1']);
  });

  it('refuses "{{" that is not a reference (no expressions beyond the documented form)', () => {
    for (const bad of ['{{ 1 + 1 }}', '{{ steps.list.output.files[0] }}', '{{ steps.list.output.files.0.id }} and {{ process.env }}', 'a {{ b']) {
      expect(errorsOf(Steps, [list, get({ fileId: bad })])).toEqual({ '1.input.fileId': expect.stringContaining('"{{" opens a reference') });
    }
    expect(Steps.safeParse([list, get({ fileId: 'curly } braces {' })]).success).toBe(true);
  });

  it('lists a step’s references with their fields and paths', () => {
    const step = Step.parse(get({ fileId: '{{ steps.list.output.files.0.id }}', note: 'from {{steps.list.output.files.1.name}} and {{ steps.ask.output }}' }));
    expect(referencesOf(step)).toEqual([
      { field: 'input.fileId', stepId: 'list', path: ['files', 0, 'id'], expression: '{{ steps.list.output.files.0.id }}' },
      { field: 'input.note', stepId: 'list', path: ['files', 1, 'name'], expression: '{{steps.list.output.files.1.name}}' },
      { field: 'input.note', stepId: 'ask', path: [], expression: '{{ steps.ask.output }}' },
    ]);
    expect(referencesOf(Step.parse({ id: 'tell', name: 'Tell', kind: 'notify', message: 'no references' }))).toEqual([]);
  });

  it('checks name and description of the content, and the export format', () => {
    expect(errorsOf(DefinitionContent, { name: ' ', steps: [] })).toEqual({ name: 'name is required' });
    expect(DefinitionContent.parse({ name: 'W', steps: [] })).toEqual({ name: 'W', description: '', steps: [] });
    expect(errorsOf(DefinitionExport, { format: 'anthropy-works.workflow-definition', formatVersion: 2, name: 'W', steps: [] })).toEqual({
      formatVersion: 'formatVersion must be 1 (this release reads version 1)',
    });
  });
});

describe('resolveInputs', () => {
  const outputs = { list: { files: [{ id: 'f1', name: 'Report.pdf', size: 12 }], incompleteSearch: false }, ask: null };

  it('replaces an exact reference by the value, keeping its type', () => {
    expect(resolveInputs({ fileId: '{{ steps.list.output.files.0.id }}', size: '{{steps.list.output.files.0.size}}', all: '{{ steps.list.output.files }}' }, outputs)).toEqual({
      fileId: 'f1',
      size: 12,
      all: [{ id: 'f1', name: 'Report.pdf', size: 12 }],
    });
  });

  it('interpolates references inside a longer string as text', () => {
    expect(
      resolveInputs(
        { q: "name = '{{ steps.list.output.files.0.name }}' ({{ steps.list.output.files.0.size }} bytes, {{ steps.list.output.incompleteSearch }}{{ steps.ask.output }})" },
        outputs,
      ),
    ).toEqual({
      q: "name = 'Report.pdf' (12 bytes, false)",
    });
    expect(resolveInputs(['x {{ steps.list.output.files.0 }}'], outputs)).toEqual(['x {"id":"f1","name":"Report.pdf","size":12}']);
  });

  it('leaves everything else alone and does not change the input', () => {
    const input = { n: 3, b: true, z: null, nested: [{ s: 'plain' }] };
    expect(resolveInputs(input, outputs)).toEqual(input);
    const withRef = { a: '{{ steps.list.output.files.0.id }}' };
    resolveInputs(withRef, outputs);
    expect(withRef).toEqual({ a: '{{ steps.list.output.files.0.id }}' });
  });

  it('refuses a value that is not there, and never reads a prototype', () => {
    expect(() => resolveInputs({ a: '{{ steps.list.output.files.3.id }}' }, outputs)).toThrow(UnresolvedReferenceError);
    expect(() => resolveInputs({ a: '{{ steps.later.output }}' }, outputs)).toThrow('{{ steps.later.output }}: step "later" has no output yet');
    expect(() => resolveInputs({ a: '{{ steps.list.output.constructor }}' }, outputs)).toThrow('the output of step "list" has nothing at constructor');
    expect(() => resolveInputs({ a: '{{ steps.list.output.files.length }}' }, outputs)).toThrow(UnresolvedReferenceError);
    expect(() => resolveInputs({ a: '{{ steps.constructor.output }}' }, outputs)).toThrow('step "constructor" has no output yet');
  });
});

describe('a step’s condition (when)', () => {
  const check = { id: 'check-gw', name: 'Check the gateway', kind: 'instance_action', action: 'health', instanceId: INSTANCE };
  const unhealthy: StepCondition = { value: '{{ steps.check-gw.output.health.healthy }}', is: 'equal', to: false };
  const onlyIf = (when: unknown, over: Record<string, unknown> = {}) => [check, { ...restart, ...over, when }];

  it('is taken on every kind of step, and its value is a reference to an earlier step', () => {
    const tell = { id: 'tell', name: 'Tell', kind: 'notify', message: 'restarted', when: { ...unhealthy, is: 'not_equal', to: 'yes' } };
    const ask = { id: 'ask', name: 'Ask', kind: 'wait_for_person', message: 'ok?', when: { ...unhealthy, to: null } };
    const steps = Steps.parse([check, { ...restart, when: unhealthy }, { ...list, when: { ...unhealthy, to: 3 } }, tell, ask]);
    expect(steps.map((s) => s.when?.to)).toEqual([undefined, false, 3, 'yes', null]);
    expect(referencesOf(steps[1]!)).toEqual([{ field: 'when.value', stepId: 'check-gw', path: ['health', 'healthy'], expression: unhealthy.value }]);
  });

  it('refuses a bad condition naming its field', () => {
    for (const value of ['steps.check-gw.output.health.healthy', '{{ steps.check-gw.output.health.healthy }} ', 'is {{ steps.check-gw.output.health.healthy }}', '{{ 1 + 1 }}']) {
      expect(errorsOf(Steps, onlyIf({ ...unhealthy, value }))).toEqual({ '1.when.value': expect.stringContaining('value is exactly one reference') });
    }
    expect(errorsOf(Steps, onlyIf({ ...unhealthy, value: '{{ steps.check-gw.output.a }}{{ steps.check-gw.output.b }}' }))).toEqual({
      '1.when.value': expect.stringContaining('value is exactly one reference'),
    });
    expect(errorsOf(Steps, onlyIf({ ...unhealthy, is: 'greater' }))).toEqual({ '1.when.is': 'is is one of equal, not_equal' });
    expect(errorsOf(Steps, onlyIf({ ...unhealthy, to: { healthy: false } }))).toEqual({ '1.when.to': 'to is text, a number, true, false or null' });
    expect(errorsOf(Steps, onlyIf({ ...unhealthy, to: '{{ steps.check-gw.output }}' }))).toEqual({ '1.when.to': 'to is a plain value: only value holds a reference' });
    expect(errorsOf(Steps, onlyIf({ value: unhealthy.value, is: 'equal' }))).toEqual({ '1.when.to': 'to is text, a number, true, false or null' });
    expect(Object.keys(errorsOf(Steps, onlyIf({ ...unhealthy, code: 'x > 1' })))).toEqual(['1.when']);
  });

  it('refuses a condition on a later, unknown or its own step, as a reference anywhere', () => {
    expect(errorsOf(Steps, [{ ...restart, when: unhealthy }, check])).toEqual({ '0.when.value': 'step "restart" refers to step "check-gw" which comes later' });
    expect(errorsOf(Steps, onlyIf({ ...unhealthy, value: '{{ steps.chek.output.health }}' }))).toEqual({
      '1.when.value': 'step "restart" refers to step "chek", which does not exist',
    });
    expect(errorsOf(Steps, onlyIf({ ...unhealthy, value: '{{ steps.restart.output }}' }))).toEqual({ '1.when.value': expect.stringContaining('refers to its own step "restart"') });
  });

  it('holds when the value is (or is not) equal to `to` as JSON, and says so in words', () => {
    const outputs = { 'check-gw': { health: { healthy: false, gateway: { state: 'running' } }, n: 1, s: '1', z: null } };
    expect(conditionHolds(unhealthy, outputs)).toEqual({ holds: true, value: false });
    expect(conditionHolds(unhealthy, { 'check-gw': { health: { healthy: true } } })).toEqual({ holds: false, value: true });
    expect(conditionHolds({ ...unhealthy, is: 'not_equal' }, outputs).holds).toBe(false);
    const at = (path: string) => `{{ steps.check-gw.output.${path} }}`;
    expect(conditionHolds({ value: at('n'), is: 'equal', to: 1 }, outputs).holds).toBe(true);
    expect(conditionHolds({ value: at('n'), is: 'equal', to: '1' }, outputs).holds).toBe(false);
    expect(conditionHolds({ value: at('s'), is: 'equal', to: '1' }, outputs).holds).toBe(true);
    expect(conditionHolds({ value: at('z'), is: 'equal', to: null }, outputs).holds).toBe(true);
    // An object equals no plain value.
    expect(conditionHolds({ value: at('health.gateway'), is: 'equal', to: null }, outputs).holds).toBe(false);
    expect(conditionHolds({ value: at('health.gateway'), is: 'not_equal', to: 'running' }, outputs).holds).toBe(true);
    expect(conditionInWords(unhealthy)).toBe('steps.check-gw.output.health.healthy is false');
    expect(conditionInWords({ value: at('health.gateway.state'), is: 'not_equal', to: 'running' })).toBe('steps.check-gw.output.health.gateway.state is not "running"');
    expect(conditionReason(unhealthy, true)).toBe('runs only if steps.check-gw.output.health.healthy is false, and it is true');
  });

  it('stays as written when the step’s references are resolved, its fields in their order', () => {
    const tell = Step.parse({ when: unhealthy, id: 'tell', name: 'Tell', kind: 'notify', message: 'It is {{ steps.check-gw.output.health.healthy }}' });
    const resolved = resolveStep(tell, { 'check-gw': { health: { healthy: false } } });
    expect(resolved).toEqual({ ...tell, message: 'It is false' });
    expect(Object.keys(resolved)).toEqual(Object.keys(tell));
    // A simulation's condition it cannot read does not stop the step's resolution.
    expect(resolveStep({ ...tell, message: 'plain' }, {})).toEqual({ ...tell, message: 'plain' });
  });

  it('refuses a value that is not there, as a reference does', () => {
    expect(() => conditionHolds(unhealthy, {})).toThrow('{{ steps.check-gw.output.health.healthy }}: step "check-gw" has no output yet');
    expect(() => conditionHolds(unhealthy, { 'check-gw': { simulated: true } })).toThrow(UnresolvedReferenceError);
  });
});
