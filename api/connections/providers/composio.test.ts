import { describe, expect, it } from '@jest/globals';
import { ComposioConnectedAccountNotFoundError, ComposioToolNotFoundError, ComposioToolVersionRequiredError } from '@composio/core';
import { composioError, composioMessage } from './composio.ts';
import { ProviderAuthError, ProviderRequestError } from './provider.ts';

/** What @composio/client's APIError carries: the status and the answer's body (and, unread, its request). */
const apiError = (status: number, error: Record<string, unknown>) =>
  Object.assign(new Error(`${status} ${JSON.stringify({ error })}`), { status, error: { error }, headers: { 'x-api-key': 'must-not-leak' } });

describe('Composio’s errors as the provider’s', () => {
  it('reads Composio’s sentence from its error document, else the status', () => {
    expect(composioMessage({ error: { message: 'Invalid API key', code: 10401, status: 401 } }, 401)).toBe('Invalid API key');
    expect(composioMessage({ error: 'Bad gateway' }, 502)).toBe('Bad gateway');
    expect(composioMessage(undefined, 500)).toBe('HTTP 500');
  });

  it('makes a refused key or a missing connected account a ProviderAuthError (the connection needs a person)', () => {
    const key = composioError(apiError(401, { message: 'Invalid API key', code: 10401 }));
    expect(key).toBeInstanceOf(ProviderAuthError);
    expect(key.message).toBe('Composio refused the API key (Invalid API key)');
    // The core client wraps the API error of a failed retrieve; the cause is followed.
    const wrapped = composioError(new ComposioToolNotFoundError('Tool with slug X not found', { cause: apiError(401, { message: 'Invalid API key' }) }));
    expect(wrapped).toBeInstanceOf(ProviderAuthError);
    expect(composioError(apiError(404, { message: 'Connected account ca_1 not found', code: 1803 }))).toBeInstanceOf(ProviderAuthError);
    expect(composioError(new ComposioConnectedAccountNotFoundError('Connected account ca_1 not found')).message).toBe(
      'Composio has no such connected account (Connected account ca_1 not found)',
    );
  });

  it('says other refusals in Composio’s words, network failures by their code, and never the client’s error', () => {
    const notFound = composioError(new ComposioToolNotFoundError('Tool with slug X not found', { cause: apiError(404, { message: 'Tool X not found', code: 1100 }) }));
    expect(notFound).toBeInstanceOf(ProviderRequestError);
    expect(notFound.message).toBe('Composio answered: Tool X not found');
    const offline = Object.assign(new Error('Connection error.'), { cause: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }) });
    expect(composioError(offline).message).toBe('Composio answered: no answer (ECONNREFUSED)');
    // A library error that is not Composio's: nothing of its message (it may hold a URL).
    expect(composioError(new Error('GET https://backend.composio.dev/?api_key=secret failed')).message).toBe('Composio answered: no answer');
    expect(composioError(new ComposioToolVersionRequiredError()).message).toMatch(/^Composio answered: /);
    for (const err of [apiError(401, { message: 'x' }), apiError(500, { message: 'x' })]) expect(JSON.stringify(composioError(err))).not.toContain('must-not-leak');
  });
});
