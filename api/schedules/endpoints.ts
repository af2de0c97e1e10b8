import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { BackfillInput, CreateScheduleInput, IdParams, ListSchedulesQuery, NoteInput, ScheduleOutput, ScheduleSummary, UpdateScheduleInput } from './model.ts';
import * as service from './service.ts';

const tag = 'Schedules';

export const scheduleEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/schedules',
    tag,
    summary: 'Schedules of one organization, or (MSP staff) of all',
    query: ListSchedulesQuery,
    response: z.object({ items: z.array(ScheduleSummary) }),
    handler: (ctx, { query }) => service.listSchedules(ctx, query),
  }),
  defineEndpoint({
    method: 'post',
    path: '/schedules',
    tag,
    summary:
      'Schedule a workflow definition (a pinned version or the latest) on an interval or a cron calendar in a time zone; refused when a step is blocked now; answers which steps will wait for whose confirmation at each run',
    body: CreateScheduleInput,
    response: ScheduleOutput,
    status: 201,
    callsTemporal: true,
    handler: (ctx, { body }) => service.createSchedule(ctx, body),
  }),
  defineEndpoint({
    method: 'get',
    path: '/schedules/:id',
    tag,
    summary: 'One schedule, with its upcoming times in its time zone and its recent runs (from Temporal) and the policy verdicts now',
    params: IdParams,
    response: ScheduleOutput,
    handler: (ctx, { params }) => service.getSchedule(ctx, params.id),
  }),
  defineEndpoint({
    method: 'patch',
    path: '/schedules/:id',
    tag,
    summary: 'Change a schedule: the fields given replace its own (its definition and owner stay)',
    params: IdParams,
    body: UpdateScheduleInput,
    response: ScheduleOutput,
    callsTemporal: true,
    handler: (ctx, { params, body }) => service.updateSchedule(ctx, params.id, body),
  }),
  ...(['pause', 'resume'] as const).map((change) =>
    defineEndpoint({
      method: 'post',
      path: `/schedules/:id/${change}`,
      tag,
      summary: change === 'pause' ? 'Pause: no run starts until it is resumed' : 'Resume a paused schedule',
      params: IdParams,
      body: NoteInput,
      response: ScheduleOutput,
      callsTemporal: true,
      handler: (ctx, { params, body }) => service.setSchedulePaused(ctx, params.id, change === 'pause', body),
    }),
  ),
  defineEndpoint({
    method: 'post',
    path: '/schedules/:id/trigger',
    tag,
    summary: 'Start one run now, whatever the calendar says; it is a normal run (its steps checked, its confirmations asked)',
    params: IdParams,
    response: ScheduleOutput,
    callsTemporal: true,
    handler: (ctx, { params }) => service.triggerSchedule(ctx, params.id),
  }),
  defineEndpoint({
    method: 'post',
    path: '/schedules/:id/backfill',
    tag,
    summary: 'Run the schedule’s times of a past range now, one after another (at most 50)',
    params: IdParams,
    body: BackfillInput,
    response: ScheduleOutput,
    callsTemporal: true,
    handler: (ctx, { params, body }) => service.backfillSchedule(ctx, params.id, body),
  }),
  defineEndpoint({
    method: 'delete',
    path: '/schedules/:id',
    tag,
    summary: 'Delete the schedule: its Temporal Schedule is removed; its runs stay on the Jobs page',
    params: IdParams,
    response: z.object({ deleted: z.literal(true) }),
    callsTemporal: true,
    handler: (ctx, { params }) => service.deleteSchedule(ctx, params.id),
  }),
];
