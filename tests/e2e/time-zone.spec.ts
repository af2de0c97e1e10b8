// Issue 16: dates in the viewer's time zone. A browser in Tokyo signs in; after its first page tells the
// console its zone (the `tz` cookie), every date is rendered in Asia/Tokyo by the server and the browser
// alike: the audit trail's times read as Tokyo's wall clock for the same instants.
import { expect, test } from '@playwright/test';
import { formatDateTime } from '../../web/app/components/dates.ts';
import { signInAsAdmin } from './helpers.ts';

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
