import { describe, expect, it } from '@jest/globals';
import { faultSentence, pageOf, pageQuery, planQuery } from './quickbooks-query.ts';

describe('the QuickBooks query plan', () => {
  it('reads the entity, a COUNT and the query’s own paging; anything but a SELECT … FROM is no plan', () => {
    expect(planQuery("SELECT * FROM Invoice WHERE TotalAmt > '100.00'")).toEqual({ entity: 'Invoice', count: false, ownPaging: false });
    expect(planQuery('select count(*) from customer')).toEqual({ entity: 'customer', count: true, ownPaging: false });
    expect(planQuery('SELECT Id, DocNumber FROM Invoice STARTPOSITION 11 MAXRESULTS 10')).toMatchObject({ count: false, ownPaging: true });
    expect(planQuery('select * from Invoice maxresults 5')).toMatchObject({ ownPaging: true });
    // A field named like the keyword is not paging.
    expect(planQuery("SELECT * FROM Invoice WHERE DocNumber = 'MAXRESULTS'")).toMatchObject({ ownPaging: false });
    expect(planQuery("SELECT * FROM Customer WHERE DisplayName = 'Startposition 5 Ltd'")).toMatchObject({ ownPaging: false });
    expect(planQuery("SELECT * FROM Customer WHERE DisplayName = 'It\\'s maxresults 2' MAXRESULTS 3")).toMatchObject({ ownPaging: true });
    expect(planQuery('SELECT *')).toBeNull();
    expect(planQuery('DELETE FROM Invoice')).toBeNull();
  });

  it('asks for one page at a time from position 1', () => {
    expect(pageQuery(' SELECT * FROM Invoice ', 1, 1000)).toBe('SELECT * FROM Invoice STARTPOSITION 1 MAXRESULTS 1000');
    expect(pageQuery('SELECT * FROM Invoice ORDERBY TxnDate', 201, 100)).toBe('SELECT * FROM Invoice ORDERBY TxnDate STARTPOSITION 201 MAXRESULTS 100');
  });
});

describe('a QueryResponse', () => {
  it('gives the rows under the entity’s name, none when nothing matched, and a COUNT’s total', () => {
    const rows = [{ Id: '1' }, { Id: '2' }];
    expect(pageOf({ QueryResponse: { Invoice: rows, startPosition: 1, maxResults: 2 }, time: '2026-11-30T00:00:00Z' })).toEqual({ rows });
    expect(pageOf({ QueryResponse: {}, time: 'x' })).toEqual({ rows: [] });
    expect(pageOf({ QueryResponse: { totalCount: 42 } })).toEqual({ rows: [], totalCount: 42 });
    expect(pageOf({ CompanyInfo: {} })).toBeNull();
    expect(pageOf(null)).toBeNull();
  });
});

describe('Intuit’s Fault', () => {
  it('becomes its sentence: message, detail and code, in either spelling Intuit uses', () => {
    expect(
      faultSentence({
        Fault: { Error: [{ Message: 'Error parsing query', Detail: 'QueryParserError: Encountered " <IDENTIFIER> "Foo "" at line 1', code: '4000' }], type: 'ValidationFault' },
      }),
    ).toBe('Error parsing query: QueryParserError: Encountered " <IDENTIFIER> "Foo "" at line 1 (code 4000)');
    expect(
      faultSentence({ fault: { error: [{ message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', detail: null, code: '3200' }], type: 'AUTHENTICATION' } }),
    ).toBe('message=AuthenticationFailed; errorCode=003200; statusCode=401 (code 3200)');
    expect(faultSentence({ Fault: { Error: [{ Detail: 'x'.repeat(1000) }] } })!.length).toBeLessThanOrEqual(400);
    expect(faultSentence({ QueryResponse: {} })).toBeNull();
    expect(faultSentence({ Fault: { Error: [] } })).toBeNull();
  });
});
