import { describe, expect, it } from '@jest/globals';
import { displayName, displayText } from './display-text.ts';
import { InvalidInputError, parseInput } from './errors.ts';
import { z } from 'zod';

const Named = z.object({ name: displayName('name', 100) });
const Noted = z.object({ notes: displayText('notes', 2000) });
const refusal = (schema: z.ZodType, input: unknown) => {
  try {
    parseInput(schema, input);
  } catch (err) {
    if (err instanceof InvalidInputError) return err.fieldErrors;
    throw err;
  }
  return 'accepted';
};

describe('display names and text', () => {
  it('accepts names in any script, emoji joined by ZWJ, and Persian with a ZWNJ', () => {
    for (const name of ['Acme GmbH', 'Zürich Söhne & Co.', '株式会社テスト', 'شرکت نمونه', 'می\u200cخواهم', 'team 👩\u200d💻', 'O’Brien-Smith']) {
      expect(parseInput(Named, { name: `  ${name} ` })).toEqual({ name });
    }
  });

  it('refuses control characters, direction overrides and isolates, invisible characters and stray joiners, naming the field and the character', () => {
    expect(refusal(Named, { name: 'evil\u202Efdp.exe' })).toEqual({ name: 'name contains a character that changes the text direction (U+202E)' });
    expect(refusal(Named, { name: 'a\u2066b' })).toEqual({ name: 'name contains a character that changes the text direction (U+2066)' });
    expect(refusal(Named, { name: 'line\nbreak' })).toEqual({ name: 'name contains a control character (U+000A)' });
    expect(refusal(Named, { name: 'bell\u0007' })).toEqual({ name: 'name contains a control character (U+0007)' });
    expect(refusal(Named, { name: 'c1\u0085' })).toEqual({ name: 'name contains a control character (U+0085)' });
    expect(refusal(Named, { name: 'ac\u200Bme' })).toEqual({ name: 'name contains an invisible character (U+200B)' });
    expect(refusal(Named, { name: 'acme\u{E0041}' })).toEqual({ name: 'name contains an invisible character (U+E0041)' });
    expect(refusal(Named, { name: '\u200Dacme' })).toEqual({ name: 'name contains a zero-width joiner that is not between two letters' });
    expect(refusal(Named, { name: 'ac\u200C\u200Cme' })).toEqual({ name: 'name contains a zero-width joiner that is not between two letters' });
    expect(refusal(Named, { name: 'x\ud800y' })).toEqual({ name: 'name contains invalid characters' });
    expect(refusal(Named, { name: '   ' })).toEqual({ name: 'name is required' });
  });

  it('lets free text keep line breaks and tabs, and nothing else of the kind', () => {
    expect(parseInput(Noted, { notes: 'rack 4\n\tshelf 2\r\n' })).toEqual({ notes: 'rack 4\n\tshelf 2\r\n' });
    expect(refusal(Noted, { notes: 'see \u202Eereh' })).toEqual({ notes: 'notes contains a character that changes the text direction (U+202E)' });
    expect(refusal(Noted, { notes: 'esc \u001b[31m' })).toEqual({ notes: 'notes contains a control character (U+001B)' });
  });
});
