import { describe, expect, it } from '@jest/globals';
import { safeRedirect } from './safe-redirect.ts';

describe('safeRedirect', () => {
  it('keeps paths of this site, with their query and fragment', () => {
    expect(safeRedirect('/system')).toBe('/system');
    expect(safeRedirect('/people?organizationId=abc#invite')).toBe('/people?organizationId=abc#invite');
  });

  it('sends anything that could leave the site to the home page', () => {
    for (const bad of [
      null,
      '',
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      '/\\/evil.example',
      '/%0a//evil.example'.replace('%0a', '\n'),
      'javascript:alert(1)',
      ' /system',
    ]) {
      expect(safeRedirect(bad)).toBe('/');
    }
  });
});
