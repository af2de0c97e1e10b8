// Workflow unit tests in Temporal's time-skipping test server: a timer of hours passes in milliseconds
// while the test waits for a result. The server is the Java SDK's TestServer (Temporal's own native
// build is a download this machine cannot make), its jars fetched once from Maven Central with Maven
// into the shared cache; TEMPORAL_TEST_SERVER names another launcher to use instead.
//   const env = await startTimeSkipping();                  // beforeAll
//   const bundle = await bundleWorkflows('workflows/x.ts');  // once per file: webpack takes a moment
//   await env.teardown();                                    // afterAll
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { cacheDirFrom } from '../../infra/cache-dir.ts';
import { REPO_ROOT } from '../../infra/config.ts';

export const TEST_SERVER_VERSION = '1.38.0';

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>works.anthropy</groupId><artifactId>time-skipping-server</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${TEST_SERVER_VERSION}</version></dependency>
  </dependencies>
</project>
`;

/** The launcher of the test server (installed on first use: Maven, about a minute once). */
export function timeSkippingServer(): string {
  if (process.env.TEMPORAL_TEST_SERVER) return process.env.TEMPORAL_TEST_SERVER;
  const dir = path.join(cacheDirFrom(), 'time-skipping-server', TEST_SERVER_VERSION);
  const launcher = path.join(dir, 'temporal-test-server');
  if (fs.existsSync(launcher)) return launcher;
  for (const tool of ['java', 'mvn']) {
    if (spawnSync(tool, ['-version'], { stdio: 'ignore' }).error) {
      throw new Error(`${tool} is needed for Temporal's time-skipping test server; install it (Debian: apt-get install default-jre-headless maven).`);
    }
  }
  // Installed beside the final folder and moved in place, so a stopped install never looks complete.
  const staging = `${dir}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  fs.writeFileSync(path.join(staging, 'pom.xml'), POM);
  const maven = spawnSync('mvn', ['-q', '-B', 'dependency:copy-dependencies', '-DincludeScope=runtime', '-DoutputDirectory=lib'], { cwd: staging, encoding: 'utf8' });
  if (maven.status !== 0) throw new Error(`Maven could not fetch the test server's jars: ${`${maven.stdout}${maven.stderr}`.trim().split('\n').slice(-5).join(' | ')}`);
  fs.writeFileSync(path.join(staging, 'temporal-test-server'), `#!/bin/sh\nexec java -cp '${path.join(dir, 'lib')}/*' io.temporal.testserver.TestServer "$@"\n`, { mode: 0o755 });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
  return launcher;
}

/** A fresh time-skipping server for this test file. */
export function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  // The workers' own lines (state changes, the failures a test expects) are noise in its output; once per process.
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Installed already (another file in this Jest worker).
  }
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: timeSkippingServer() } } });
}

/** The workflow code of one file (relative to the repository), bundled once for all of a file's workers. */
export function bundleWorkflows(file: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: path.join(REPO_ROOT, file), logger: new DefaultLogger('WARN') });
}
