import type { VerdictOutput } from '../../../api/policy/service.ts';

/** The policy engine's answer in one line: the outcome, the rule that blocked it (if any), and its sentence. */
export function VerdictLine({ verdict }: { verdict: Pick<VerdictOutput, 'outcome' | 'rule' | 'sentence'> }) {
  return (
    <>
      <strong>{verdict.outcome.replace('_', ' ')}</strong>
      {verdict.rule && (
        <>
          {' '}
          by <code>{verdict.rule}</code>
        </>
      )}
      : {verdict.sentence}
    </>
  );
}
