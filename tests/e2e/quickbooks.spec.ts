// Issue 13's "done when" for QuickBooks Online, in Chromium: a customer's company admin, allowed to query
// QuickBooks, connects a live connection through the consent flow of the local Intuit authorization server
// (tests/stand-ins/, started by global-setup.ts), which names the company on the redirect back; the page
// shows that company, a Live test names it, and a query answers Live from the loopback QuickBooks API.
import { expect, test } from '@playwright/test';
import { TEST_REALM } from '../stand-ins/intuit-oauth-server.ts';
import { customerAllowed, openNewConnection } from './connections-helpers.ts';

test('a company admin connects QuickBooks Online through Intuit’s consent, sees the company, tests it and queries invoices Live', async ({ page, browser, baseURL }) => {
  const customer = await customerAllowed(page, browser, 'Books', { key: 'quickbooks', name: 'QuickBooks Online', action: 'query' });
  await openNewConnection(customer, 'quickbooks', 'Books', baseURL);

  await customer.getByRole('button', { name: 'Connect QuickBooks Online' }).click();
  await expect(customer.getByTestId('connection-status')).toHaveText('connected');
  // The company Intuit appended to the redirect back (realmId), kept by the callback.
  await expect(customer.getByRole('row', { name: /Company \(realm id\)/ })).toBeVisible();
  await expect(customer.getByTestId('metadata-realmId')).toHaveText(TEST_REALM);

  await customer.getByRole('button', { name: 'Test connection' }).click();
  await expect(customer.getByTestId('last-test')).toContainText('Live: Connected to Sandbox Company_US_1.');

  const run = customer.getByRole('form', { name: 'Run an action' });
  await run.getByLabel('Action').selectOption('query');
  await run.getByLabel('Input (JSON)').fill(`{"query": "SELECT DocNumber FROM Invoice WHERE TotalAmt > '500'"}`);
  await run.getByRole('button', { name: 'Run' }).click();
  await expect(customer.getByTestId('action-source')).toHaveText('Live');
  await expect(customer.getByTestId('action-result')).toContainText('"DocNumber": "1007"');
  await expect(customer.getByTestId('action-result')).toContainText('"totalCount": 3');
});
