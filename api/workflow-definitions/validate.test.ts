// The step model (protocol/, which imports no api/ or db/ code) names lifecycle actions and roles of its
// own: they must stay those of the catalogue and the product.
import { describe, expect, it } from '@jest/globals';
import { MSP_ROLES } from '../authz.ts';
import { CONFIRMATION_ROLES, INSTANCE_ACTIONS } from '../../protocol/workflow-definition.ts';
import { builtIn, LIFECYCLE_KEY } from '../capabilities/catalogue.ts';
import { LIFECYCLE_INPUTS } from './validate.ts';

describe('the step model against the catalogue and the roles', () => {
  it('offers only lifecycle actions the catalogue has, each with its input schema', () => {
    const lifecycle = builtIn(LIFECYCLE_KEY)!.actions!.map((a) => a.key);
    expect(lifecycle).toEqual(expect.arrayContaining([...INSTANCE_ACTIONS]));
    expect(Object.keys(LIFECYCLE_INPUTS).sort()).toEqual([...INSTANCE_ACTIONS].sort());
  });

  it('names the MSP roles: company people approve through approver groups', () => {
    expect([...CONFIRMATION_ROLES]).toEqual([...MSP_ROLES]);
  });
});
