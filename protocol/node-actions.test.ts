// The node-action catalogue: one declaration per name, and parameters and outputs checked with reasons
// that name the action and the field.
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { defineNodeAction, DuplicateNodeActionError, nodeActionCatalogue } from './node-action-registry.ts';
import { checkNodeActionOutput, checkNodeActionParams, isNodeActionName, NODE_ACTIONS } from './node-actions.ts';

const GATEWAY = 'a'.repeat(64);

describe('node-action registry', () => {
  it('refuses a second action of the same name', () => {
    const ping = defineNodeAction({ name: 'node.ping', effect: 'reads', description: 'Answers.', params: z.strictObject({}), output: z.object({ pong: z.boolean() }) });
    expect(Object.keys(nodeActionCatalogue([ping]))).toEqual(['node.ping']);
    expect(() => nodeActionCatalogue([ping, { ...ping, description: 'Answers again.' }])).toThrow(DuplicateNodeActionError);
    expect(() => nodeActionCatalogue([ping, ping])).toThrow('the node action node.ping is declared twice');
  });

  it('declares every action once, each with a one-line description and a name the envelope accepts', () => {
    for (const [name, action] of Object.entries(NODE_ACTIONS)) {
      expect(action.name).toBe(name);
      expect(name).toMatch(/^[a-z][a-z0-9_.-]*$/);
      expect(action.description).toMatch(/^[A-Z].*\.$/);
      expect(action.description).not.toContain('\n');
    }
    expect(isNodeActionName('openclaw.deploy')).toBe(true);
    expect(isNodeActionName('toString')).toBe(false);
    expect(isNodeActionName('format_disk')).toBe(false);
  });
});

describe('parameters', () => {
  it('accepts what the workflows send', () => {
    expect(checkNodeActionParams('openclaw.restart', { gatewayId: GATEWAY, port: 18789, timeoutSeconds: 120 })).toEqual({
      ok: true,
      value: { gatewayId: GATEWAY, port: 18789, timeoutSeconds: 120 },
    });
    expect(checkNodeActionParams('inventory.list', {})).toEqual({ ok: true, value: {} });
  });

  it('refuses a bad or unknown field, naming the action and the field', () => {
    expect(
      checkNodeActionParams('openclaw.deploy', {
        instanceId: '2f1c3e4a-5b6c-4b3e-9d5e-0b8a6f0e7a55',
        instanceName: 'Bad Name',
        port: 18789,
        jobId: '3a2d4f5b-6c7d-4c4f-8e6f-1c9b7f1f8b66',
      }),
    ).toEqual({ ok: false, reason: 'bad parameters for openclaw.deploy: instanceName: must be lower-case letters, digits and hyphens (at most 40)' });
    const unknown = checkNodeActionParams('openclaw.health', { gatewayId: GATEWAY, port: 18789, force: true });
    expect(unknown).toMatchObject({ ok: false, reason: expect.stringMatching(/^bad parameters for openclaw\.health: .*"force"/) });
    const missing = checkNodeActionParams('openclaw.logs', { containerId: GATEWAY });
    expect(missing).toMatchObject({ ok: false, reason: expect.stringMatching(/^bad parameters for openclaw\.logs: tail: /) });
  });
});

describe('outputs', () => {
  const health = {
    gateway: { id: GATEWAY, state: 'running', health: null },
    cli: { id: null, state: 'missing', health: null },
    healthz: { ok: true, body: { ok: true } },
    readyz: { ok: true, body: 'ready' },
    cliCheck: null,
    healthy: false,
  };

  it('accepts what the agent returns, after a JSON round trip', () => {
    expect(checkNodeActionOutput('openclaw.health', JSON.parse(JSON.stringify(health)))).toEqual({ ok: true, value: health });
  });

  it('refuses a malformed output, naming the action and the field', () => {
    expect(checkNodeActionOutput('openclaw.health', { ...health, gateway: { id: GATEWAY, health: null } })).toEqual({
      ok: false,
      reason: 'the output of openclaw.health is malformed: gateway.state: Invalid input: expected string, received undefined',
    });
    expect(checkNodeActionOutput('openclaw.remove', null)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^the output of openclaw\.remove is malformed: \(the whole value\): /),
    });
  });
});
