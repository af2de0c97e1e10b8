// Browser steps shared by the job specs: approve the job shown on the page by typing its phrase, have
// several approvers approve one from their inbox, and wait for a job to end.
import { expect, type Page } from '@playwright/test';
import { seriousViolations } from './axe.ts';

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

/**
 * Each approver in turn opens their Approvals inbox, finds the one job waiting (its row says `label`),
 * sees "i of n", opens it at `jobUrl`, types its phrase and approves; the first sees 1 of n after. The
 * inbox and the half-approved job have no serious accessibility violation (axe).
 */
export async function approveFromInbox(approvers: Page[], jobUrl: string, label: string): Promise<void> {
  for (const [i, approver] of approvers.entries()) {
    await approver.goto('/approvals');
    await expect(approver.getByTestId('nav-count-approvals')).toHaveText('1');
    const row = approver.getByTestId('approvals').locator('tbody tr', { hasText: label });
    await expect(row.getByTestId('approval-progress')).toHaveText(`${i} of ${approvers.length}`);
    if (i === 0) expect(await seriousViolations(approver), 'the inbox with a request').toEqual([]);
    await row.getByRole('link', { name: label }).click();
    await expect(approver).toHaveURL(jobUrl);
    const phrase = (await approver.getByTestId('approval-phrase').textContent())!;
    const form = approver.getByRole('form', { name: 'Approve' });
    await form.getByLabel('Phrase').fill(phrase);
    await form.getByRole('button', { name: 'Approve' }).click();
    // The decision is taken once the page says so: the next person's count, or no form left for this one.
    if (i === approvers.length - 1) await expect(approver.getByRole('form', { name: 'Approve' })).toHaveCount(0, { timeout: 30_000 });
    if (i === 0 && approvers.length > 1) {
      await expect(approver.getByTestId('approval-progress')).toContainText(`1 of ${approvers.length} approvals`);
      expect(await seriousViolations(approver), 'a job waiting for its next approval').toEqual([]);
    }
  }
}

/** On a definition's page: Simulate; the simulation waits for the same approvals with its first step's output Simulated; then cancel it. */
export async function simulateThenCancel(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Simulate' }).click();
  await expect(page.getByTestId('job-state')).toHaveText('waiting for approval', { timeout: 60_000 });
  await expect(page.getByTestId('run-step-list').getByTestId('output-source')).toHaveText('Simulated');
  await page.getByRole('form', { name: 'Cancel job' }).getByRole('button').click();
  await expect(page.getByTestId('job-state')).toHaveText('cancelled');
}
