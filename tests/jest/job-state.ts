// Waiting for a job (GET /api/v1/jobs/{id}, read by the caller's own client) to reach a state; a failure on
// the way stops the wait with its reason instead of running into the timeout.
import { waitFor } from './wait-for.ts';

/** What GET /api/v1/jobs/{id} answers, as far as the tests that wait on approvals read it. */
export interface JobAnswer {
  state: string;
  failureReason: string | null;
  approvalPhrase: string | null;
  approvalProgress: { given: number; needed: number } | null;
  result: Record<string, unknown> | null;
}

export const jobInState = <J extends { state: string; failureReason: string | null }>(id: string, read: () => Promise<J>, state: string, withinMs = 60_000): Promise<J> =>
  waitFor(
    `job ${id} to be ${state}`,
    async () => {
      const job = await read();
      if (job.state === 'failed' && state !== 'failed') throw new Error(`job failed: ${job.failureReason}`);
      return job.state === state ? job : undefined;
    },
    withinMs,
  );

type Call = <T>(method: string, url: string, body?: unknown) => Promise<T>;

/**
 * A workflow run of the MSP's own organization whose first step waits for two MSP admins, started through
 * the API (`call`: a signed-in admin's) and approved once: a run waiting for its second approval.
 */
export async function runWaitingForSecondApproval(call: Call): Promise<{ runId: string; phrase: string }> {
  const orgs = await call<{ items: { id: string; kind: string }[] }>('GET', '/organizations');
  const definition = await call<{ id: string }>('POST', '/workflow-definitions', {
    organizationId: orgs.items.find((o) => o.kind === 'msp')!.id,
    name: 'Two admins look',
    steps: [
      { id: 'look', name: 'Two admins look', kind: 'wait_for_person', message: 'Look twice', confirmation: { approvalsNeeded: 2, approverRoles: ['msp_admin'] } },
      { id: 'tell', name: 'Tell', kind: 'notify', message: 'looked at' },
    ],
  });
  const runId = (await call<{ id: string }>('POST', `/workflow-definitions/${definition.id}/runs`, {})).id;
  const phrase = (await jobInState(runId, () => call<JobAnswer>('GET', `/jobs/${runId}`), 'waiting_for_approval')).approvalPhrase!;
  const once = await call<JobAnswer>('POST', `/jobs/${runId}/approve`, { phrase });
  if (once.approvalProgress?.given !== 1 || once.approvalProgress.needed !== 2)
    throw new Error(`the first approval was not counted as one of two: ${JSON.stringify(once.approvalProgress)}`);
  return { runId, phrase };
}
