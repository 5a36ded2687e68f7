import { describe, expect, it } from 'vitest';
import { numberPlaceholders } from './placeholders.js';

describe('numberPlaceholders', () => {
  it.each([
    ['SELECT 1', 'SELECT 1', 0],
    ['SELECT * FROM t WHERE a = ? AND b = ?', 'SELECT * FROM t WHERE a = $1 AND b = $2', 2],
    ["SELECT '?' AS q, a FROM t WHERE a = ?", "SELECT '?' AS q, a FROM t WHERE a = $1", 1],
    ["SELECT 'it''s ?' FROM t WHERE a = ?", "SELECT 'it''s ?' FROM t WHERE a = $1", 1],
    ['SELECT "weird?name" FROM t WHERE "end" > ?', 'SELECT "weird?name" FROM t WHERE "end" > $1', 1],
    ['SELECT a -- why? because\nFROM t WHERE a = ?', 'SELECT a -- why? because\nFROM t WHERE a = $1', 1],
    ['SELECT a /* a ? here */ FROM t WHERE a IN (?, ?, ?)', 'SELECT a /* a ? here */ FROM t WHERE a IN ($1, $2, $3)', 3],
    ['INSERT INTO t (a, b) VALUES (?,?) ON CONFLICT (a) DO UPDATE SET b = excluded.b RETURNING a', 'INSERT INTO t (a, b) VALUES ($1,$2) ON CONFLICT (a) DO UPDATE SET b = excluded.b RETURNING a', 2],
    ["SELECT '' || ? || ''", "SELECT '' || $1 || ''", 1],
    ['SELECT a - -1 FROM t WHERE b = ?', 'SELECT a - -1 FROM t WHERE b = $1', 1],
    ['SELECT ? -- trailing comment without newline ?', 'SELECT $1 -- trailing comment without newline ?', 1],
  ])('%j → %j (%i)', (sql, text, count) => {
    expect(numberPlaceholders(sql)).toEqual({ text, count });
  });

  it.each([
    ["SELECT 'open", /unterminated string/],
    ['SELECT "open', /unterminated quoted identifier/],
    ['SELECT 1 /* open', /unterminated \/\* comment/],
  ])('refuses %j', (sql, message) => {
    expect(() => numberPlaceholders(sql)).toThrow(message);
  });
});
