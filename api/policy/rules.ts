// Every rule the policy engine can block with, in the order it checks them: the first that fails names
// the verdict. The README's table of rules is checked against this list (api/policy/rules.test.ts).
export const POLICY_RULES = [
  { rule: 'capability.unknown', when: 'No catalogue entry has this key.' },
  { rule: 'capability.disabled', when: 'The catalogue entry is disabled for everyone.' },
  { rule: 'action.unknown', when: 'The capability offers no action of this name.' },
  { rule: 'permission.missing', when: 'The organization has no permission for the capability (and it has no built-in default).' },
  { rule: 'permission.disabled', when: 'The organization’s permission for the capability is turned off.' },
  { rule: 'action.not_allowed', when: 'The permission does not allow this action.' },
  {
    rule: 'instance.not_attached',
    when: 'The instance has capabilities attached, and none of them allows this action (of what it uses; jobs that operate on it are not narrowed).',
  },
  { rule: 'connection.missing', when: 'The capability needs a connection to its provider and the organization has none.' },
  { rule: 'connection.not_connected', when: 'The connection exists but is not connected (pending, needs reconnect, disabled).' },
  { rule: 'usage.limit_reached', when: 'The permission’s runs per hour or per day are used up.' },
] as const;

export type PolicyRule = (typeof POLICY_RULES)[number]['rule'];

/**
 * What blocks a workflow step before the engine is asked (ADR 0014): the policy preview and the run check
 * it alike (api/policy/facts.ts instanceInOrganization). A deleted connection is the engine's own
 * `connection.missing`.
 */
export const STEP_RULES = [{ rule: 'instance.missing', when: 'A workflow step names an instance that no longer exists in its organization.' }] as const;
export type StepRule = (typeof STEP_RULES)[number]['rule'];
export const INSTANCE_MISSING = 'The step’s instance no longer exists in its organization.';
