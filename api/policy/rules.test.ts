// The README lists every rule of the policy engine, with an example, in the engine's order.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { REPO_ROOT } from '../../infra/config.ts';
import { POLICY_RULES } from './rules.ts';

describe('policy rules in the README', () => {
  it('lists each rule once, in the order the engine checks them', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const listed = [...readme.matchAll(/^\| `([a-z_]+\.[a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(listed).toEqual(POLICY_RULES.map((r) => r.rule));
  });
});
