import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { InvalidInputError, parseInput } from './errors.ts';

describe('parseInput', () => {
  const Schema = z.object({ name: z.string().min(1, 'name is required'), labels: z.array(z.string()) });

  it('names every bad field', () => {
    const err = (() => { try { parseInput(Schema, { labels: 'x' }); } catch (e) { return e; } })() as InvalidInputError;
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(Object.keys(err.fieldErrors).sort()).toEqual(['labels', 'name']);
  });

  it('refuses a NUL character (PostgreSQL cannot store it) naming the field, at any depth', () => {
    expect(() => parseInput(Schema, { name: 'a\u0000b', labels: [] })).toThrow(expect.objectContaining({ fieldErrors: { name: 'name contains a NUL character' } }));
    expect(() => parseInput(Schema, { name: 'ok', labels: ['fine', 'bad\u0000'] })).toThrow(expect.objectContaining({ fieldErrors: { 'labels.1': 'labels.1 contains a NUL character' } }));
    expect(parseInput(Schema, { name: 'ok', labels: ['fine'] })).toEqual({ name: 'ok', labels: ['fine'] });
  });
});
