// A process's environment as Linux's /proc shows it (the block it was started with), and what a test says
// about an agent's: names outside the agent's allow-list, and the control plane's secrets by name or value.
import fs from 'node:fs';
import { isAllowedAgentVariable } from '../../agent-worker/child-env.ts';

/** NAME=value entries of /proc/<pid>/environ, or of a file holding such a block. */
export function environOf(pidOrFile: number | string): Map<string, string> {
  const file = typeof pidOrFile === 'number' ? `/proc/${pidOrFile}/environ` : pidOrFile;
  return new Map(
    fs
      .readFileSync(file, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((entry) => {
        const at = entry.indexOf('=');
        return [entry.slice(0, at), entry.slice(at + 1)] as const;
      }),
  );
}

/** `secrets`: name → value of what the environment must not hold (undefined values are checked by name only). */
export function agentEnvironmentLeaks(env: Map<string, string>, secrets: Record<string, string | undefined>, allowedExtra: string[] = []) {
  const text = [...env.values()].join('\n');
  return {
    notAllowed: [...env.keys()].filter((name) => !isAllowedAgentVariable(name) && !allowedExtra.includes(name)),
    secretNames: Object.keys(secrets).filter((name) => env.has(name)),
    secretValues: Object.entries(secrets)
      .filter(([, value]) => value && text.includes(value))
      .map(([name]) => name),
  };
}

export const NO_LEAKS = { notAllowed: [], secretNames: [], secretValues: [] };
