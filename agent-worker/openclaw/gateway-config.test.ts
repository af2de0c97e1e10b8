import { describe, expect, it } from '@jest/globals';
import type Dockerode from 'dockerode';
import { configPathOf, inWritableMount, MANAGED_CONFIG_PATH, ownerOf, parseConfig } from './gateway-config.ts';

const container = (env: string[], mounts: { Destination: string; RW: boolean }[] = [], user = '') =>
  ({ Config: { Env: env, User: user }, Mounts: mounts }) as unknown as Dockerode.ContainerInspectInfo;

describe("a gateway's configuration file", () => {
  it('is found as OpenClaw resolves it: OPENCLAW_CONFIG_PATH, else the state folder, else ~/.openclaw', () => {
    expect(configPathOf(container([`OPENCLAW_CONFIG_PATH=${MANAGED_CONFIG_PATH}`, 'HOME=/root']))).toBe('/home/node/.openclaw/openclaw.json');
    expect(configPathOf(container(['OPENCLAW_STATE_DIR=/data/claw', 'HOME=/root']))).toBe('/data/claw/openclaw.json');
    expect(configPathOf(container(['HOME=/root']))).toBe('/root/.openclaw/openclaw.json');
  });

  it('can be written only inside a writable mount (the image is read-only)', () => {
    const mounted = container([], [{ Destination: '/home/node/.openclaw', RW: true }]);
    expect(inWritableMount(mounted, MANAGED_CONFIG_PATH)).toBe(true);
    expect(inWritableMount(mounted, '/etc/openclaw/openclaw.json')).toBe(false);
    expect(inWritableMount(mounted, '/home/node/.openclaw-other/openclaw.json')).toBe(false);
    expect(inWritableMount(container([], [{ Destination: '/home/node/.openclaw', RW: false }]), MANAGED_CONFIG_PATH)).toBe(false);
  });

  it("is written as the container's user, or the image's when it names none", () => {
    expect(ownerOf(container([], [], '10001:10001'))).toEqual({ uid: 10001, gid: 10001 });
    expect(ownerOf(container([], [], '0'))).toEqual({ uid: 0, gid: 0 });
    expect(ownerOf(container([], [], ''))).toEqual({ uid: 10001, gid: 10001 });
    expect(ownerOf(container([], [], 'node'))).toEqual({ uid: 10001, gid: 10001 });
  });

  it('reads as a JSON object, as empty when missing, and says why otherwise', () => {
    expect(parseConfig('{"tools":{"deny":["exec"]}}')).toEqual({ raw: '{"tools":{"deny":["exec"]}}', config: { tools: { deny: ['exec'] } } });
    expect(parseConfig(null)).toEqual({ raw: null, config: {} });
    expect(parseConfig('[1]')).toMatchObject({ config: null, problem: 'it is not a JSON object' });
    expect(parseConfig('{ tools: {}, // json5 }')).toMatchObject({ config: null, problem: expect.stringMatching(/^it is not plain JSON/) });
  });
});
