import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { fieldNames } from './fields.ts';
import { ProviderRequestError } from './provider.ts';
import { listQuery, readPage, servicetitan, toCustomer, toJob } from './servicetitan.ts';
import { serviceTitanMessage } from './servicetitan-api.ts';

const wireCustomer = { id: 7, name: 'Acme HVAC', type: null, active: true, modifiedOn: '2026-11-02T10:00:00Z', balance: 12.5, address: { city: 'Springfield' } };
const wireJob = { id: 9, jobNumber: '1009', customerId: 7, jobStatus: 'Scheduled', summary: null, modifiedOn: '2026-11-03T10:00:00Z', priority: 'High' };

describe('ServiceTitan answers read into action outputs', () => {
  it('keeps the page fields and each record’s declared fields only (a missing type or summary reads empty)', () => {
    const page = readPage(
      { page: 2, pageSize: 1, hasMore: true, totalCount: 9, data: [wireCustomer] },
      z.object({ id: z.number(), name: z.string(), type: z.string().nullish(), active: z.boolean(), modifiedOn: z.string() }),
      toCustomer,
    );
    expect(page).toEqual({ page: 2, pageSize: 1, hasMore: true, totalCount: 9, data: [{ id: 7, name: 'Acme HVAC', type: '', active: true, modifiedOn: '2026-11-02T10:00:00Z' }] });
    expect(toJob(wireJob)).toEqual({ id: 9, jobNumber: '1009', customerId: 7, jobStatus: 'Scheduled', summary: '', modifiedOn: '2026-11-03T10:00:00Z' });
    // ServiceTitan leaves totalCount out unless asked.
    expect(readPage({ page: 1, pageSize: 50, hasMore: false, data: [] }, z.unknown(), (x) => x).totalCount).toBeNull();
  });

  it('names where an answer of another shape went wrong, as ServiceTitan’s answer, never passing it on', () => {
    const item = z.object({ id: z.number(), name: z.string() });
    const wrongItem = () => readPage({ page: 1, pageSize: 1, hasMore: false, data: [{ id: 'x', name: 'n' }] }, item, (x) => x);
    expect(wrongItem).toThrow(ProviderRequestError);
    expect(wrongItem).toThrow('ServiceTitan answered: an answer of an unexpected shape (data.0.id)');
    expect(() => readPage({ items: [] }, item, (x) => x)).toThrow('ServiceTitan answered: an answer of an unexpected shape (page)');
    expect(() => readPage('<html>', item, (x) => x)).toThrow('(the answer)');
  });

  it('asks with ServiceTitan’s own parameter names, leaving out a filter not given', () => {
    expect(listQuery({ page: 3, pageSize: 500, includeTotal: true, modifiedOnOrAfter: '2026-11-01T00:00:00Z' })).toEqual({
      page: '3',
      pageSize: '500',
      includeTotal: 'true',
      modifiedOnOrAfter: '2026-11-01T00:00:00Z',
    });
    expect(listQuery({ page: 1, pageSize: 50, includeTotal: false }).modifiedOnOrAfter).toBeUndefined();
  });

  it('takes ServiceTitan’s sentence from an OAuth error or a problem document, else the status', () => {
    expect(serviceTitanMessage({ error: 'invalid_client' }, 400)).toBe('invalid_client');
    expect(serviceTitanMessage({ error: 'invalid_request', error_description: 'grant_type missing' }, 400)).toBe('invalid_request: grant_type missing');
    expect(serviceTitanMessage({ title: 'One or more validation errors occurred.', status: 400, errors: { pageSize: ['Too big.'] } }, 400)).toBe(
      'One or more validation errors occurred. pageSize: Too big.',
    );
    expect(serviceTitanMessage({ title: 'Forbidden', detail: 'Not connected to tenant 9.' }, 403)).toBe('Forbidden Not connected to tenant 9.');
    expect(serviceTitanMessage('', 503)).toBe('HTTP 503');
    expect(serviceTitanMessage({ title: 'x'.repeat(500) }, 400)).toHaveLength(300);
  });

  it('keeps the access token out of the console’s credential form, and bounds list input as ServiceTitan does', () => {
    expect(fieldNames(servicetitan.credentialSchema)).toEqual(['clientId', 'clientSecret', 'appKey']);
    const input = servicetitan.actions['jobs.list']!.input;
    expect(input.safeParse({ pageSize: 5000 }).success).toBe(true);
    expect(input.safeParse({ pageSize: 5001 }).success).toBe(false);
    expect(input.safeParse({ modifiedOnOrAfter: '2026-11-01' }).success).toBe(false);
    expect(input.parse({})).toEqual({ page: 1, pageSize: 50, includeTotal: false });
  });
});
