import { describe, expect, it } from '@jest/globals';
import { HandedTasks } from './handed-tasks.ts';

const token = (n: number) => Uint8Array.from([n, n + 1, n + 2]);

describe('HandedTasks', () => {
  it('holds a handed token for its node only, until it is settled', () => {
    const tasks = new HandedTasks();
    tasks.hand('a', token(1), 30_000);
    expect(tasks.holds('a', token(1))).toBe(true);
    expect(tasks.holds('b', token(1))).toBe(false);
    expect(tasks.holds('a', token(2))).toBe(false);
    tasks.settle('a', token(1));
    expect(tasks.holds('a', token(1))).toBe(false);
  });

  it("lets a token go a grace minute after its attempt's timeout", () => {
    let now = 1_000_000;
    const tasks = new HandedTasks(10, () => now);
    tasks.hand('a', token(1), 30_000);
    now += 30_000 + 59_000;
    expect(tasks.holds('a', token(1))).toBe(true);
    now += 2_000;
    expect(tasks.holds('a', token(1))).toBe(false);
    expect(tasks.count('a')).toBe(0);
  });

  it('keeps at most its bound per node, dropping expired tokens first and then the oldest', () => {
    let now = 0;
    const tasks = new HandedTasks(3, () => now);
    tasks.hand('a', token(1), 1_000);
    tasks.hand('a', token(2), 3_600_000);
    tasks.hand('a', token(3), 3_600_000);
    now = 120_000; // token 1 has expired
    tasks.hand('a', token(4), 3_600_000);
    expect([1, 2, 3, 4].map((n) => tasks.holds('a', token(n)))).toEqual([false, true, true, true]);
    tasks.hand('a', token(5), 3_600_000);
    expect([2, 3, 4, 5].map((n) => tasks.holds('a', token(n)))).toEqual([false, true, true, true]);
    expect(tasks.count('a')).toBe(3);
    tasks.hand('b', token(9));
    expect(tasks.count('b')).toBe(1);
  });

  it('forgets every task of a node whose door closed', () => {
    const tasks = new HandedTasks();
    tasks.hand('a', token(1));
    tasks.hand('b', token(2));
    tasks.forget('a');
    expect(tasks.holds('a', token(1))).toBe(false);
    expect(tasks.holds('b', token(2))).toBe(true);
  });
});
