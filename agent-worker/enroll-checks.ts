// What `agent-worker enroll` checks before it believes a control plane: the console's address (https,
// except on this machine's loopback, where nothing travels over a network), and the control plane's
// public key against the fingerprint the console printed in the enroll command. A machine in between
// could otherwise hand the agent a key of its own, and sign the agent's jobs.
import { keyFingerprint } from '../protocol/envelope.ts';

const EXAMPLE = 'https://console.example.com';

/** Loopback: localhost, 127.0.0.0/8 and [::1] (URL keeps the brackets of an IPv6 host). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** The console's origin from `--server`, or the one sentence saying why it is refused. */
export function enrollServerUrl(value: string | undefined): { url: string; loopback: boolean } | { refused: string } {
  if (!value) return { refused: `--server is required: the console address, e.g. ${EXAMPLE}` };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { refused: `--server "${value}" is not a URL; give the console address, e.g. ${EXAMPLE}` };
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return { url: url.origin, loopback };
  if (url.protocol === 'http:') {
    return { refused: `--server "${value}" uses plain http, which is allowed only on this machine (localhost, 127.0.0.1, [::1]); give the console's https:// address` };
  }
  return { refused: `--server "${value}" must start with https://` };
}

/** The fingerprint from `--control-plane-key` (lower case), or the sentence saying why it is refused. */
export function expectedFingerprint(value: string | undefined, loopback: boolean): { fingerprint?: string } | { refused: string } {
  const given = value?.trim().toLowerCase();
  if (!given) {
    // On loopback the address itself is this machine; elsewhere the fingerprint is what ties the answer to the console.
    return loopback ? {} : { refused: '--control-plane-key is required for a console on another machine: copy the whole enroll command the console shows' };
  }
  if (!/^[0-9a-f]{16}$/.test(given)) return { refused: `--control-plane-key "${value}" is not a key fingerprint (16 hex digits); copy the whole enroll command the console shows` };
  return { fingerprint: given };
}

/** Why the control plane's key in the enrollment answer is not the expected one, or undefined when it is. */
export function controlPlaneKeyMismatch(publicKey: unknown, expected: string | undefined): string | undefined {
  let got: string;
  try {
    got = keyFingerprint(String(publicKey));
  } catch {
    return 'the server answered without a valid control plane key (Ed25519, SPKI DER base64); check you are enrolling against the right console';
  }
  if (expected !== undefined && got !== expected) {
    return `the control plane's key does not match the fingerprint in the enroll command: ${got} ≠ ${expected}; check you are enrolling against the right console`;
  }
  return undefined;
}
