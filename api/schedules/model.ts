// A schedule as the API takes and returns it (issue 15). Every refusal names its field: `spec.expression`,
// `timeZone`, `endAt`. Defaults are the safe ones: overlap skip, a 10-minute catch-up window (an outage
// never floods approvers with a year of missed runs), no jitter, not paused.
import { z } from 'zod';
import { SCHEDULE_OVERLAPS } from '../../db/schema.ts';
import { displayName, displayText } from '../display-text.ts';
import { PolicyPreviewOutput } from '../workflow-definitions/model.ts';
import { isTimeZone, normalizeCron, parseCron } from './calendar.ts';

const uuid = (field: string) => z.string(`${field} is required`).uuid(`${field} must be a UUID`);
const seconds = (field: string, min: number, max: number) =>
  z.number(`${field} must be a number of seconds`).int(`${field} must be a whole number of seconds`).min(min, `${field} is at least ${min}`).max(max, `${field} is at most ${max}`);
const instant = (field: string) => z.iso.datetime({ offset: true, error: `${field} must be a date and time such as 2026-12-01T02:00:00Z` });

export const ScheduleSpecInput = z.discriminatedUnion(
  'kind',
  [
    z.object({
      kind: z.literal('interval'),
      everySeconds: seconds('spec.everySeconds', 1, 366 * 86_400).describe('Run every this many seconds'),
      offsetSeconds: seconds('spec.offsetSeconds', 0, 366 * 86_400)
        .default(0)
        .describe('Shift from the Unix epoch (3600 with everySeconds 86400: 01:00 UTC daily)'),
    }),
    z.object({
      kind: z.literal('cron'),
      expression: z
        .string('spec.expression is required')
        .max(200, 'spec.expression must be at most 200 characters')
        .transform(normalizeCron)
        .superRefine((value, c) => {
          try {
            parseCron(value);
          } catch (err) {
            c.addIssue({ code: 'custom', message: `spec.expression is not valid: ${(err as Error).message}` });
          }
        })
        .describe(
          'Five fields: minute hour day-of-month month day-of-week (0 = Sunday), numbers or names (JAN, MON), ranges, steps and lists, or @hourly, @daily, @weekly, @monthly, @yearly; read in timeZone and stored with numbers',
        ),
    }),
  ],
  { error: 'spec.kind must be interval or cron' },
);

const fields = {
  name: displayName('name', 100),
  version: z
    .union([z.literal('latest'), z.number().int().min(1).max(1_000_000_000)], { error: 'version is "latest" or a version number' })
    .describe('A pinned version number, or "latest": the definition’s current version at each run'),
  spec: ScheduleSpecInput,
  timeZone: z
    .string('timeZone must be text')
    .max(64)
    .refine(isTimeZone, 'timeZone must be an IANA time zone such as Europe/Berlin')
    .describe('IANA time zone the cron expression is read in'),
  overlap: z.enum(SCHEDULE_OVERLAPS, `overlap must be one of: ${SCHEDULE_OVERLAPS.join(', ')}`).describe('When a run is still going at the next time: skip (default) starts none'),
  catchupWindowSeconds: seconds('catchupWindowSeconds', 10, 7 * 86_400).describe('How late a missed time may still start after an outage (default 600)'),
  pauseOnFailure: z.boolean('pauseOnFailure must be true or false'),
  jitterSeconds: seconds('jitterSeconds', 0, 3600).describe('Each run starts up to this many seconds late, at random'),
  startAt: instant('startAt').nullable(),
  endAt: instant('endAt').nullable(),
  paused: z.boolean('paused must be true or false'),
  note: displayText('note', 500, { trim: true }),
};

const endAfterStart = (v: { startAt?: string | null; endAt?: string | null }, c: z.core.$RefinementCtx) => {
  if (v.startAt && v.endAt && Date.parse(v.endAt) <= Date.parse(v.startAt)) c.addIssue({ code: 'custom', path: ['endAt'], message: 'endAt must be after startAt' });
};

export const CreateScheduleInput = z
  .object({
    definitionId: uuid('definitionId'),
    name: fields.name,
    version: fields.version.default('latest'),
    spec: fields.spec,
    timeZone: fields.timeZone.optional().describe('Default: the organization’s time zone'),
    overlap: fields.overlap.default('skip'),
    catchupWindowSeconds: fields.catchupWindowSeconds.default(600),
    pauseOnFailure: fields.pauseOnFailure.default(false),
    jitterSeconds: fields.jitterSeconds.default(0),
    startAt: fields.startAt.optional(),
    endAt: fields.endAt.optional(),
    paused: fields.paused.default(false),
    note: fields.note.default(''),
  })
  .superRefine(endAfterStart);
export type CreateScheduleInput = z.infer<typeof CreateScheduleInput>;

/** A change: the fields given replace the schedule's (its definition and owner stay). */
export const UpdateScheduleInput = z
  .object({
    name: fields.name.optional(),
    version: fields.version.optional(),
    spec: fields.spec.optional(),
    timeZone: fields.timeZone.optional(),
    overlap: fields.overlap.optional(),
    catchupWindowSeconds: fields.catchupWindowSeconds.optional(),
    pauseOnFailure: fields.pauseOnFailure.optional(),
    jitterSeconds: fields.jitterSeconds.optional(),
    startAt: fields.startAt.optional(),
    endAt: fields.endAt.optional(),
  })
  .superRefine(endAfterStart);

export const NoteInput = z.object({ note: fields.note.optional() });

export const MAX_BACKFILL_DAYS = 31;

export const BackfillInput = z.object({ start: instant('start'), end: instant('end') }).superRefine((v, c) => {
  if (Date.parse(v.end) <= Date.parse(v.start)) c.addIssue({ code: 'custom', path: ['end'], message: 'end must be after start' });
  if (Date.parse(v.end) > Date.now()) c.addIssue({ code: 'custom', path: ['end'], message: 'end must not be in the future: a backfill runs times that have passed' });
});

export const ListSchedulesQuery = z.object({
  organizationId: uuid('organizationId').optional(),
  definitionId: uuid('definitionId').optional(),
});
export const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });

export const ScheduleSummary = z.object({
  id: z.string().uuid(),
  organizationId: z.string().uuid(),
  organizationName: z.string(),
  definitionId: z.string().uuid(),
  definitionName: z.string(),
  name: z.string(),
  version: z.union([z.literal('latest'), z.number().int()]),
  spec: z.union([
    z.object({ kind: z.literal('interval'), everySeconds: z.number().int(), offsetSeconds: z.number().int() }),
    z.object({ kind: z.literal('cron'), expression: z.string() }),
  ]),
  timeZone: z.string(),
  overlap: z.enum(SCHEDULE_OVERLAPS),
  catchupWindowSeconds: z.number().int(),
  pauseOnFailure: z.boolean(),
  jitterSeconds: z.number().int(),
  startAt: z.string().nullable(),
  endAt: z.string().nullable(),
  paused: z.boolean(),
  note: z.string(),
  owner: z.string().describe('Whose authority the runs carry (checked again at each run)'),
  temporalScheduleId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ScheduleSummary = z.infer<typeof ScheduleSummary>;

/** A row of the Schedules list: the schedule, and how it stands (api/schedules/at-a-glance.ts). */
export const ScheduleListItem = ScheduleSummary.extend({
  nextRunAt: z.string().nullable().describe('Its next time by its calendar; null while paused or after its end'),
  lastRun: z.object({ jobId: z.string().uuid(), state: z.string(), at: z.string() }).nullable().describe('The last run it started'),
  failing: z.boolean().describe('Its last run did not complete, or a failed run paused it'),
  temporalUrl: z.string().describe('The Temporal Schedule in Temporal Web'),
});
export type ScheduleListItem = z.infer<typeof ScheduleListItem>;

/** A step whose confirmation each run will wait for, and who may give it. */
export const ConfirmationNotice = z.object({
  stepId: z.string(),
  name: z.string(),
  when: z.string(),
  approvalsNeeded: z.number().int(),
  approverRoles: z.array(z.string()),
  approverGroupIds: z.array(z.string()),
  expiresInHours: z.number(),
});

export const ScheduleOutput = ScheduleSummary.extend({
  /** What Temporal says now (null when it cannot be reached). */
  temporal: z
    .object({
      paused: z.boolean(),
      note: z.string(),
      upcoming: z
        .array(z.object({ at: z.string(), local: z.string().describe('In the schedule’s time zone'), organizationLocal: z.string().describe('In the organization’s time zone') }))
        .describe('Next times'),
      recent: z.array(z.object({ scheduledAt: z.string(), takenAt: z.string(), workflowId: z.string() })),
      skippedOverlap: z.number().int(),
      missedCatchupWindow: z.number().int(),
      webUrl: z.string(),
    })
    .nullable(),
  policy: PolicyPreviewOutput.nullable().describe(
    'The policy engine’s verdict now on each step of the version a run would start; null for a caller who does not build definitions',
  ),
  confirmations: z.array(ConfirmationNotice),
  ownerWarning: z.string().nullable().describe('Why the runs will not start as things stand (the owner left or may no longer build), or null'),
});
export type ScheduleOutput = z.infer<typeof ScheduleOutput>;
