// Schemathesis (Python, from PyPI) for the API fuzz stage of `npm test`: installed once, at a pinned
// version, into a virtual environment cached outside the clone, so fresh clones and CI reuse it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { progress, UserFacingError } from '../progress.ts';

export const SCHEMATHESIS_VERSION = '4.32.5';
const MIN_PYTHON = [3, 11]; // what this version of schemathesis requires

const output = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? `${r.stdout}${r.stderr}` : undefined;
};

/** A Python new enough: $PYTHON, python3, or a versioned python3.x on PATH. */
function findPython(): string | undefined {
  for (const candidate of [process.env.PYTHON, 'python3', 'python3.13', 'python3.12', 'python3.11'].filter(Boolean) as string[]) {
    const version = output(candidate, ['-c', 'import sys, venv; print(*sys.version_info[:2])'])?.trim().split(' ').map(Number);
    if (version && (version[0]! > MIN_PYTHON[0]! || (version[0] === MIN_PYTHON[0] && version[1]! >= MIN_PYTHON[1]!))) return candidate;
  }
  return undefined;
}

/** The path of the `schemathesis` command, installing it into `<cacheDir>/schemathesis-venv` when missing. */
export function ensureSchemathesis(cacheDir: string): string {
  const venv = path.join(cacheDir, 'schemathesis-venv');
  const bin = path.join(venv, 'bin', 'schemathesis');
  if (output(bin, ['--version'])?.includes(SCHEMATHESIS_VERSION)) {
    progress.ok(`Schemathesis ${SCHEMATHESIS_VERSION} (cached in ${venv})`);
    return bin;
  }
  const python = findPython();
  if (!python) {
    throw new UserFacingError(`Schemathesis needs Python ${MIN_PYTHON.join('.')} or later with venv: install it (Debian: apt-get install -y python3 python3-venv) or set PYTHON.`);
  }
  progress.step(`Installing Schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${venv} (once)`);
  fs.rmSync(venv, { recursive: true, force: true });
  const ok =
    spawnSync(python, ['-m', 'venv', venv], { stdio: 'inherit' }).status === 0 &&
    spawnSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`], { stdio: 'inherit' }).status === 0;
  if (!ok || !output(bin, ['--version'])?.includes(SCHEMATHESIS_VERSION)) {
    fs.rmSync(venv, { recursive: true, force: true });
    throw new UserFacingError(`Installing Schemathesis ${SCHEMATHESIS_VERSION} with pip failed (see above); check that PyPI is reachable.`);
  }
  progress.ok(`Schemathesis ${SCHEMATHESIS_VERSION} installed in ${venv}`);
  return bin;
}
