// What the web process takes from a notification: a record's kind, id and organization (and a job's
// states), and nothing from a payload that is not one of ours.
import { describe, expect, it } from '@jest/globals';
import { parseNotification } from './feed.ts';

const id = '0b7e4f0e-9a55-4c52-8f3e-3d0f4c1f6f10';
const org = '5f0c2b8a-1d4e-4b7a-9c3d-2e1f0a9b8c7d';

describe('parseNotification', () => {
  it('reads what the triggers send', () => {
    expect(parseNotification(JSON.stringify({ t: 'job', id, o: org, s: 'running', p: 'waiting_for_approval' }))).toEqual({
      kind: 'job',
      id,
      organizationId: org,
      state: 'running',
      previous: 'waiting_for_approval',
    });
    expect(parseNotification(JSON.stringify({ t: 'node', id, o: org, s: null, p: null }))).toEqual({ kind: 'node', id, organizationId: org });
  });

  it('ignores anything else: not JSON, an unknown kind, ids that are not UUIDs, no organization', () => {
    expect(parseNotification('not json')).toBeNull();
    expect(parseNotification(JSON.stringify({ t: 'user', id, o: org }))).toBeNull();
    expect(parseNotification(JSON.stringify({ t: 'job', id: 'x', o: org }))).toBeNull();
    expect(parseNotification(JSON.stringify({ t: 'job', id }))).toBeNull();
  });
});
