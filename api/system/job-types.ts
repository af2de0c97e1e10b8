// The System page's jobs, declared once for the job kernel (api/jobs/registry.ts).
import { checkBundle } from '../../workflows/check-bundle.ts';
import { readinessCheck } from '../../workflows/readiness-check.ts';
import { defineJobType } from '../jobs/job-type.ts';
import { requestBundleCheck } from './bundle-check.ts';
import { requestReadinessCheck } from './readiness.ts';

const mb = (bytes: unknown) => `${Math.round(Number(bytes) / 1e6)} MB`; // as the System page shows it

export const readinessJob = defineJobType({
  type: 'readiness_check',
  label: 'Readiness check',
  workflow: readinessCheck,
  approval: 'none',
  runsOn: 'control-plane',
  retry: { safe: true, again: (ctx, _job, origin) => requestReadinessCheck(ctx, origin) },
  result: { summary: (r) => ((r.results as { name: string; detail: string }[] | undefined) ?? []).map((c) => `${c.name}: ${c.detail}`).join('; ') },
});

export const bundleCheckJob = defineJobType({
  type: 'bundle_check',
  nodeActions: ['openclaw.bundle-check'],
  label: 'Bundle check',
  workflow: checkBundle,
  approval: 'none',
  runsOn: 'node',
  // It builds the bundle image at most (found again when present) and removes its throw-away gateway.
  retry: { safe: true, again: (ctx, job, origin) => requestBundleCheck(ctx, job.nodeId, origin, job.params.version) },
  result: { summary: (r) => `${String(r.image)} (OpenClaw ${String(r.version)}, ${mb(r.sizeBytes)}${r.wasPresent ? '' : ', built for this check'}): ${String(r.detail)}.` },
});

export const systemJobTypes = [readinessJob, bundleCheckJob];
