// A container's log lines for the console: the last N, or those since a time, with secrets removed on
// the machine before anything leaves it: the gateway's own token wherever it appears, `key=value` pairs
// whose key looks secret, bearer strings, private keys and passwords in URLs.
import type Dockerode from 'dockerode';
import { REDACTED, redactString } from '../../infra/redact.ts';
import type { LogLine, LogsOutput } from '../../protocol/node-actions.ts';
import { demultiplex } from '../docker/streams.ts';

// The shape is the node-action catalogue's; re-exported for the console's log view.
export type { LogsOutput } from '../../protocol/node-actions.ts';

const SECRET_ASSIGNMENT = /\b([A-Za-z0-9_.-]*(?:token|secret|password|passwd|api[_-]?key|authorization)[A-Za-z0-9_.-]*)("?\s*[=:]\s*)("?)[^\s",]+\3/gi;

/** Removes the container's own secrets (values of its secret-looking env variables) and anything that looks like one. */
export function redactLine(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join(REDACTED);
  out = redactString(out);
  return out.replace(SECRET_ASSIGNMENT, (_m, key: string, sep: string, quote: string) => `${key}${sep}${quote}${REDACTED}${quote}`);
}

export async function containerLogs(docker: Dockerode, containerId: string, opts: { tail: number; since?: number }): Promise<LogsOutput> {
  const container = docker.getContainer(containerId);
  const info = await container.inspect();
  const secrets = (info.Config.Env ?? [])
    .map((e) => e.split('=') as [string, ...string[]])
    .filter(([k]) => /token|secret|password|key/i.test(k))
    .map(([, ...v]) => v.join('='));
  const raw = (await container.logs({ stdout: true, stderr: true, timestamps: true, tail: opts.tail, ...(opts.since ? { since: opts.since } : {}) })) as unknown as Buffer;
  const lines: LogLine[] = [];
  const frames = info.Config.Tty ? [{ stream: 'stdout' as const, text: raw.toString('utf8') }] : await demultiplex(docker, raw);
  for (const frame of frames) {
    for (const line of frame.text.split('\n')) {
      if (!line) continue;
      const space = line.indexOf(' ');
      const at = line.slice(0, space);
      // Strip the terminal colours OpenClaw writes, so the console shows plain text.
      const text = line.slice(space + 1).replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
      lines.push({ at, stream: frame.stream, text: redactLine(text, secrets).slice(0, 4000) });
    }
  }
  lines.sort((a, b) => a.at.localeCompare(b.at));
  return { lines: lines.slice(-opts.tail), truncated: lines.length >= opts.tail };
}
