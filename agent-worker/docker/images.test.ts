// The image build context as tar-stream packs it, read back with tar-stream's extractor: directories,
// files from the disk and from memory, symlinks, a name longer than a plain header holds, and the fixed
// times and owners that keep the same files the same context.
import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { tarStream, type TarEntry } from './images.ts';

async function unpack(entries: TarEntry[]) {
  const out: {
    name: string;
    type: string | null | undefined;
    mode: number | undefined;
    mtime: number | undefined;
    uid: number | undefined;
    linkname: string | null | undefined;
    body: string;
  }[] = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.push({
          name: header.name,
          type: header.type,
          mode: header.mode,
          mtime: header.mtime?.getTime(),
          uid: header.uid,
          linkname: header.linkname,
          body: Buffer.concat(chunks).toString(),
        });
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from(tarStream(entries)).pipe(extract);
  await done;
  return out;
}

describe('the build context tar', () => {
  it('packs every kind of entry in order, with fixed times and owners', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-tar-'));
    const source = path.join(dir, 'node');
    fs.writeFileSync(source, 'binary'.repeat(1000));
    const long = `rootfs/opt/${'deep/'.repeat(24)}file.txt`;
    const entries = await unpack([
      { name: 'rootfs', type: 'dir', mode: 0o755 },
      { name: 'rootfs/usr/local/bin/node', type: 'file', mode: 0o755, source },
      { name: long, type: 'file', mode: 0o644, content: Buffer.from('deep content\n') },
      { name: 'rootfs/tmp', type: 'dir', mode: 0o1777 },
      { name: 'rootfs/bin/node', type: 'symlink', mode: 0o777, linkTarget: '../usr/local/bin/node' },
    ]);
    expect(entries).toEqual([
      { name: 'rootfs/', type: 'directory', mode: 0o755, mtime: 0, uid: 0, linkname: null, body: '' },
      { name: 'rootfs/usr/local/bin/node', type: 'file', mode: 0o755, mtime: 0, uid: 0, linkname: null, body: 'binary'.repeat(1000) },
      { name: long, type: 'file', mode: 0o644, mtime: 0, uid: 0, linkname: null, body: 'deep content\n' },
      { name: 'rootfs/tmp/', type: 'directory', mode: 0o1777, mtime: 0, uid: 0, linkname: null, body: '' },
      { name: 'rootfs/bin/node', type: 'symlink', mode: 0o777, mtime: 0, uid: 0, linkname: '../usr/local/bin/node', body: '' },
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails the stream when a file changes size while it is packed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-tar-'));
    const source = path.join(dir, 'growing');
    fs.writeFileSync(source, 'x');
    const pack = tarStream([{ name: 'growing', type: 'file', mode: 0o644, source }]);
    fs.writeFileSync(source, 'xx'); // after its size was read: the entry gets more bytes than its header says
    await expect(
      (async () => {
        for await (const _chunk of pack) {
          /* drain */
        }
      })(),
    ).rejects.toThrow();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
