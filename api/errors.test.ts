import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { assertStorableInput, InvalidInputError, MAX_INPUT_DEPTH, parseInput } from './errors.ts';

describe('parseInput', () => {
  const Schema = z.object({ name: z.string().min(1, 'name is required'), labels: z.array(z.string()) });

  it('names every bad field', () => {
    const err = (() => {
      try {
        parseInput(Schema, { labels: 'x' });
      } catch (e) {
        return e;
      }
    })() as InvalidInputError;
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(Object.keys(err.fieldErrors).sort()).toEqual(['labels', 'name']);
  });

  it('refuses a NUL character (PostgreSQL cannot store it) naming the field, at any depth', () => {
    expect(() => parseInput(Schema, { name: 'a\u0000b', labels: [] })).toThrow(expect.objectContaining({ fieldErrors: { name: 'name contains a NUL character' } }));
    expect(() => parseInput(Schema, { name: 'ok', labels: ['fine', 'bad\u0000'] })).toThrow(
      expect.objectContaining({ fieldErrors: { 'labels.1': 'labels.1 contains a NUL character' } }),
    );
    expect(parseInput(Schema, { name: 'ok', labels: ['fine'] })).toEqual({ name: 'ok', labels: ['fine'] });
  });

  it('refuses an ill-formed string (a lone UTF-16 surrogate) naming the field, in values and in keys', () => {
    expect(() => parseInput(Schema, { name: 'x\ud800y', labels: [] })).toThrow(expect.objectContaining({ fieldErrors: { name: 'name contains invalid characters' } }));
    expect(() => parseInput(Schema, { name: 'ok', labels: ['\udc00'] })).toThrow(expect.objectContaining({ fieldErrors: { 'labels.0': 'labels.0 contains invalid characters' } }));
    expect(() => assertStorableInput({ meta: { ['k\ud800']: 1 } })).toThrow(expect.objectContaining({ fieldErrors: { meta: 'meta has a key with invalid characters' } }));
    expect(parseInput(Schema, { name: 'emoji 👩‍💻', labels: [] })).toEqual({ name: 'emoji 👩‍💻', labels: [] });
  });

  it('refuses nesting deeper than the limit without walking it recursively (7,000 levels neither overflow nor pass)', () => {
    let deep: unknown = 'end';
    for (let i = 0; i < 7000; i++) deep = { a: deep };
    expect(() => parseInput(Schema, deep)).toThrow(expect.objectContaining({ fieldErrors: { '(body)': `the input is nested more than ${MAX_INPUT_DEPTH} levels deep` } }));
    let arrays: unknown = [];
    for (let i = 0; i < 100_000; i++) arrays = [arrays];
    expect(() => assertStorableInput(arrays, 'query')).toThrow(expect.objectContaining({ fieldErrors: { query: `the input is nested more than ${MAX_INPUT_DEPTH} levels deep` } }));
    let fine: unknown = 'ok';
    for (let i = 0; i < MAX_INPUT_DEPTH; i++) fine = [fine];
    expect(() => assertStorableInput(fine)).not.toThrow();
  });
});
