// Temporal's time-skipping test server (`io.temporal.testserver.TestServer` from the Java SDK), which
// TestWorkflowEnvironment.createTimeSkipping() runs for the workflow unit tests. The SDK would download a
// native build from Temporal's release site; here it runs on the JVM instead, its jars resolved from Maven
// Central by Maven once and cached outside the clone, started through a small launcher script.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { progress, UserFacingError } from '../progress.ts';
import { onPath } from './temporal-cli.ts';

/** The Java SDK release whose test server we run (it follows the Java SDK's versions). */
export const TEMPORAL_TEST_SERVER_VERSION = '1.38.0';

const MAIN_CLASS = 'io.temporal.testserver.TestServer';

// slf4j-nop: the server logs through SLF4J and, without a binding, warns about it on every start.
const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>anthropy-works</groupId>
  <artifactId>temporal-test-server-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${TEMPORAL_TEST_SERVER_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`;

const runs = (bin: string, args: string[]) => spawnSync(bin, args, { stdio: 'ignore' }).status === 0;

function mvn(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mvn exited with ${code}: ${output.trim().split('\n').slice(-5).join(' | ')}`))));
  });
}

/**
 * The launcher the SDK runs as `<launcher> <port> [flags]`. The SDK gives the server 5 seconds to answer,
 * so the JVM is told to start lean: the serial collector and the quick compiler suit a short-lived test
 * server on a small machine.
 */
const launcher = (java: string) => `#!/bin/sh
# Temporal's time-skipping test server ${TEMPORAL_TEST_SERVER_VERSION} on the JVM (written by infra/toolchain/temporal-test-server.ts).
dir=$(dirname "$0")
exec "${java}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx512m -cp "$dir/lib/*" ${MAIN_CLASS} "$@"
`;

async function build(targetDir: string, java: string): Promise<void> {
  progress.step(`Fetching Temporal's time-skipping test server ${TEMPORAL_TEST_SERVER_VERSION} (Java SDK) from Maven Central with Maven, once; cached in ${targetDir}`);
  fs.mkdirSync(path.dirname(targetDir), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(targetDir), '.build-'));
  fs.chmodSync(tmp, 0o755);
  try {
    fs.writeFileSync(path.join(tmp, 'pom.xml'), POM);
    // A private local repository: what stays is only the jars the server needs, in lib/.
    await mvn(
      ['-B', '-q', `-Dmaven.repo.local=${path.join(tmp, 'm2')}`, 'dependency:copy-dependencies', `-DoutputDirectory=${path.join(tmp, 'lib')}`, '-DincludeScope=runtime'],
      tmp,
    );
    fs.writeFileSync(path.join(tmp, 'temporal-test-server'), launcher(java), { mode: 0o755 });
    fs.rmSync(path.join(tmp, 'm2'), { recursive: true, force: true });
    fs.rmSync(path.join(tmp, 'pom.xml'));
    // Two processes may build at once; the first rename wins and the other's copy is dropped.
    try {
      fs.renameSync(tmp, targetDir);
    } catch (err) {
      if (!fs.existsSync(path.join(targetDir, 'temporal-test-server'))) throw err;
    }
  } catch (err) {
    throw new UserFacingError(`Fetching the Temporal test server with Maven failed (${(err as Error).message}); check that Maven Central is reachable.`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Returns the path of the test server's launcher, fetching the server when it is not cached. */
export async function ensureTemporalTestServer(cacheDir: string): Promise<string> {
  const java = onPath('java');
  if (!java || !runs(java, ['-version'])) {
    throw new UserFacingError("The workflow tests run Temporal's test server on Java, which is not installed: install it (Debian: apt-get install default-jre-headless maven).");
  }
  const targetDir = path.join(cacheDir, 'temporal-test-server', `v${TEMPORAL_TEST_SERVER_VERSION}`);
  const bin = path.join(targetDir, 'temporal-test-server');
  if (fs.existsSync(bin)) return bin;
  if (!onPath('mvn')) {
    throw new UserFacingError("Fetching Temporal's test server needs Maven, which is not installed: install it (Debian: apt-get install maven).");
  }
  await build(targetDir, java);
  progress.ok(`Temporal test server: ${bin} (Java SDK ${TEMPORAL_TEST_SERVER_VERSION}, on the JVM)`);
  return bin;
}
