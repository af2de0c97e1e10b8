// Browser steps shared by the job specs: approve the job shown on the page by typing its phrase, and
// wait for it to end.
import { expect, type Page } from '@playwright/test';

/** On a job's page: waits for the approval form, types the phrase shown and approves; returns the phrase. */
export async function approveInBrowser(page: Page): Promise<string> {
  await expect(page.getByTestId('job-state')).toHaveText('waiting for approval', { timeout: 60_000 });
  const phrase = (await page.getByTestId('approval-phrase').textContent())!;
  const approval = page.getByRole('form', { name: 'Approve' });
  await approval.getByLabel('Phrase').fill(phrase);
  await approval.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByTestId('job-state')).not.toHaveText('waiting for approval');
  return phrase;
}

/** On a job's page: waits until the job has completed (the page follows the run live). */
export async function untilCompleted(page: Page, timeout = 180_000): Promise<void> {
  await expect(page.getByTestId('job-state')).toHaveText(/completed|failed|expired|cancelled/, { timeout });
  await expect(page.getByTestId('failure-reason')).toHaveCount(0);
  await expect(page.getByTestId('job-state')).toHaveText('completed');
}
