// Demultiplexing Docker's stdout/stderr frames with dockerode's modem: order and streams kept.
import { describe, expect, it } from '@jest/globals';
import Dockerode from 'dockerode';
import { demultiplex } from './streams.ts';

const frame = (type: 1 | 2, text: string) => {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('demultiplex', () => {
  const docker = new Dockerode({ socketPath: '/nonexistent.sock' }); // only its modem's demuxer is used: no connection

  it('returns each frame in order with the stream it came from', async () => {
    const raw = Buffer.concat([frame(1, 'started\n'), frame(2, 'warning: ünïcode\n'), frame(1, 'listening on 18789\n')]);
    expect(await demultiplex(docker, raw)).toEqual([
      { stream: 'stdout', text: 'started\n' },
      { stream: 'stderr', text: 'warning: ünïcode\n' },
      { stream: 'stdout', text: 'listening on 18789\n' },
    ]);
  });

  it('returns nothing for an empty output', async () => {
    expect(await demultiplex(docker, Buffer.alloc(0))).toEqual([]);
  });
});
