// A Drive listing's pages as a workflow run's progress (ADR 0021), end to end: a company admin's run lists
// a folder Live over six pages through the real control-plane worker, Temporal and @googleapis/drive
// against the Drive stand-in (each page taking a moment, as a large folder's do); while the step runs,
// the run (GET /jobs/{id}'s service) shows the files so far with no total (an indeterminate bar), as
// the control plane's own activity heartbeats it; once the run ends, none.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { completeConnectionOAuth, startConnectionOAuth } from '../../api/connections/oauth.ts';
import { createConnection } from '../../api/connections/service.ts';
import type { JobOutput } from '../../api/jobs/job-output.ts';
import { getJob } from '../../api/jobs/service.ts';
import { setPermission } from '../../api/permissions/service.ts';
import { createDefinition } from '../../api/workflow-definitions/service.ts';
import { startWorkflowRun } from '../../api/workflow-runs/service.ts';
import { capabilities } from '../../db/schema.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import { redirectUriOf, setEnv } from '../jest/live-providers.ts';
import { driveListStep } from '../jest/sample-steps.ts';
import { followConsent } from '../stand-ins/consent.ts';
import { sampleFiles, startGoogleStandIn, type GoogleStandIn } from '../stand-ins/google.ts';

ownControlPlaneQueue(import.meta.url);

const PUBLIC_URL = 'http://localhost:3998';
let google: GoogleStandIn;
let stack: AgentStack;
let restoreEnv = () => {};

beforeAll(async () => {
  google = await startGoogleStandIn({ redirectUri: redirectUriOf(PUBLIC_URL), files: sampleFiles(12) });
  // This process connects (the consent's way back); the worker process calls Drive.
  restoreEnv = setEnv({ ...google.env, PUBLIC_URL });
  stack = await startAgentStack('drive-run-progress', google.env, { web: false });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await google?.close();
  restoreEnv();
});

describe("a Drive listing's pages", () => {
  it('show as the run’s progress while its step lists them: files so far, no total, reported by the control plane', async () => {
    const { w, t } = stack;
    const acmeAdmin = w.ctx(w.actors.acmeAdmin);
    const [drive] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'google_drive'));
    await setPermission(w.ctx(w.actors.admin), w.acme.id, drive!.id, { enabled: true, allowedActions: ['files.list'], confirmation: 'never' });
    const connection = await createConnection(acmeAdmin, { organizationId: w.acme.id, provider: 'google_drive', name: 'Acme Drive' });
    const { authorizationUrl } = await startConnectionOAuth(acmeAdmin, connection.id);
    const back = await followConsent(authorizationUrl, redirectUriOf(PUBLIC_URL));
    expect((await completeConnectionOAuth(acmeAdmin, Object.fromEntries(back.searchParams))).status).toBe('connected');
    const definition = await createDefinition(acmeAdmin, {
      organizationId: w.acme.id,
      name: 'Acme folder, slowly',
      steps: [driveListStep(connection.id, { folderId: 'folder-1', pageSize: 2, limit: 12 })],
    });

    google.drive.settings.pageDelayMs = 1500; // six pages: about nine seconds
    google.drive.requests.length = 0;
    const run = await startWorkflowRun(acmeAdmin, definition.id, {});
    const seen: NonNullable<JobOutput['progress']>[] = [];
    let last: JobOutput = run;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      last = await getJob(acmeAdmin, run.id);
      if (last.state !== 'preflight' && last.state !== 'running') break;
      if (last.progress) seen.push(last.progress);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(last.state).toBe('completed');
    expect(last.progress).toBeUndefined();
    expect(google.drive.requests.filter((r) => r.path === '/drive/v3/files')).toHaveLength(6);

    expect(seen.length).toBeGreaterThan(0);
    for (const p of seen) {
      expect(p).toMatchObject({ step: 'listing Drive files', unit: 'files', fraction: null, where: 'control plane', message: expect.stringMatching(/^page \d: \d+ files so far/) });
      expect(p.total).toBeUndefined();
    }
    // The count grows as pages come in (a report every 2 s at most reaches Temporal).
    const counts = [...new Set(seen.map((p) => p.done))];
    expect(counts.length).toBeGreaterThan(1);
    expect(counts).toEqual([...counts].sort((a, b) => a! - b!));
    expect(Math.max(...counts.map(Number))).toBeLessThanOrEqual(12);
  }, 120_000);
});
