// Docker multiplexes a container's stdout and stderr on one stream when it has no TTY (logs, exec):
// frames of an 8-byte header (stream type, then the payload's length) and the payload. dockerode's modem
// takes them apart (docker.modem.demuxStream); this keeps the frames in order, each with its stream.
import { Readable, Writable } from 'node:stream';
import type Dockerode from 'dockerode';

export interface Frame {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** The frames of a multiplexed output (a whole buffer, as logs and a finished exec return it). */
export function demultiplex(docker: Dockerode, raw: Buffer): Promise<Frame[]> {
  const frames: Frame[] = [];
  // demuxStream writes each frame synchronously as it parses it, so both sinks fill one list in order.
  const sink = (stream: Frame['stream']) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        frames.push({ stream, text: chunk.toString('utf8') });
        done();
      },
    });
  const source = Readable.from([raw]);
  return new Promise((resolve, reject) => {
    source.once('end', () => resolve(frames));
    source.once('error', reject);
    docker.modem.demuxStream(source, sink('stdout'), sink('stderr'));
  });
}
