// Issue 16: dates in the viewer's time zone. A browser in Tokyo signs in; after its first page tells the
// console its zone (the `tz` cookie), every date is rendered in Asia/Tokyo by the server and the browser
// alike: the audit trail's times read as Tokyo's wall clock for the same instants, and so do the dates
// the instance pages tell in sentences and tooltips (a tool policy's drift, its last apply).
import { expect, test } from '@playwright/test';
import { createDb } from '../../db/client.ts';
import { instances } from '../../db/schema.ts';
import { formatDateTime } from '../../web/app/components/dates.ts';
import { signInAsAdmin } from './helpers.ts';
import { customerWithNode } from './records.ts';

test.use({ timezoneId: 'Asia/Tokyo' });

test('a browser in Tokyo reads every date in Asia/Tokyo', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signInAsAdmin(page);
  await page.goto('/audit');
  const first = page.getByTestId('audit-events').locator('tbody tr').first().locator('time');
  await expect(first).toContainText('Asia/Tokyo');
  const iso = (await first.getAttribute('datetime'))!;
  await expect(first).toHaveText(formatDateTime(iso, '—', 'Asia/Tokyo'));
  expect((await page.context().cookies()).find((c) => c.name === 'tz')?.value).toBe(encodeURIComponent('Asia/Tokyo'));
  // A reload renders Tokyo's times from the server at once (no mismatch for React to complain about).
  await page.reload();
  await expect(page.getByTestId('audit-events').locator('tbody tr').first().locator('time')).toContainText('Asia/Tokyo');
  expect(errors).toEqual([]);
});

test('an instance’s tool policy drift and last apply read in Asia/Tokyo on the node, Instances and capabilities pages', async ({ page }) => {
  // 20:15 UTC on 30 November is 05:15 on 1 December in Tokyo: a UTC date on the page would be a day off.
  const driftedSince = '2026-11-30T20:15:00.000Z';
  const appliedAt = '2026-11-30T21:40:00.000Z';
  const inTokyo = (iso: string) => formatDateTime(iso, '—', 'Asia/Tokyo');
  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  const { organizationId, nodeId } = await customerWithNode(db, 'Tokyo');
  const managed = { organizationId, nodeId, state: 'managed' as const, containerIds: ['f'.repeat(64)], appliedTools: { allow: ['read'] } };
  const [drifted] = await db
    .insert(instances)
    .values({
      ...managed,
      name: 'drifted',
      port: 18789,
      appliedToolsHash: 'a'.repeat(64),
      appliedToolsAt: new Date(appliedAt),
      reportedToolsHash: 'b'.repeat(64),
      driftedSince: new Date(driftedSince),
    })
    .returning();
  const [steady] = await db
    .insert(instances)
    .values({ ...managed, name: 'steady', port: 18790, appliedToolsHash: 'c'.repeat(64), appliedToolsAt: new Date(appliedAt), reportedToolsHash: 'c'.repeat(64) })
    .returning();
  await db.$client.end();

  await signInAsAdmin(page);
  await page.goto(`/nodes/${nodeId}`);
  await expect(page.getByTestId('tools-drifted')).toContainText(`noticed ${inTokyo(driftedSince)}`);
  await page.goto(`/instances/${drifted!.id}/capabilities`);
  await expect(page.getByTestId('drift')).toContainText(`noticed ${inTokyo(driftedSince)}`);
  await page.goto(`/instances/${steady!.id}/capabilities`);
  await expect(page.getByText(`Applied ${inTokyo(appliedAt)}; the gateway reports the same configuration.`)).toBeVisible();
  await page.goto(`/instances?organizationId=${organizationId}&drifted=yes`);
  await expect(page.locator('tr[data-instance="drifted"]').getByText('tools drifted')).toHaveAttribute('title', `since ${inTokyo(driftedSince)}`);
});
