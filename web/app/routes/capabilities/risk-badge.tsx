import type { Risk } from '../../../../db/schema.ts';

/** An action's risk, as a word (colour only repeats it). */
export function RiskBadge({ risk }: { risk: Risk }) {
  return <span className={`badge risk-${risk}`}>{risk}</span>;
}
