// `npm run check`: React Router route types, the TypeScript type check, ESLint and the formatting
// (Prettier; `npm run format` fixes it).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './config.ts';

const run = (file: string, args: string[]) => spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', file), ...args], { stdio: 'inherit', cwd: REPO_ROOT }).status ?? 1;

const steps: [string, string, string[]][] = [
  ['route types', '@react-router/dev/bin.cjs', ['typegen']],
  ['type check', 'typescript/bin/tsc', ['-p', '.']],
  ['lint', 'eslint/bin/eslint.js', ['--max-warnings=0', '.']],
  ['formatting (npm run format fixes it)', 'prettier/bin/prettier.cjs', ['--check', '--log-level=warn', '.']],
];
for (const [name, file, args] of steps) {
  const code = run(file, args);
  if (code !== 0) {
    console.error(`npm run check: ${name} failed.`);
    process.exit(code);
  }
}
console.log('npm run check: route types, type check, lint and formatting passed.');
