// Docker multiplexes a container's stdout and stderr on one stream when it has no TTY (logs, exec):
// frames of an 8-byte header (stream type, then the payload's length) and the payload.
export interface Frame { stream: 'stdout' | 'stderr'; text: string }

export function demultiplex(raw: Buffer): Frame[] {
  const out: Frame[] = [];
  for (let at = 0; at + 8 <= raw.length;) {
    const size = raw.readUInt32BE(at + 4);
    out.push({ stream: raw[at] === 2 ? 'stderr' : 'stdout', text: raw.subarray(at + 8, at + 8 + size).toString('utf8') });
    at += 8 + size;
  }
  return out;
}
