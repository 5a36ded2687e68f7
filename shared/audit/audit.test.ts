import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '../db.js';
import { sqliteSql } from '../sql/sqlite.js';
import { createAudit, createLocalAudit, type LocalAudit } from './audit.js';
import { canonicalJson, verifyChain, verifyChainPaged, type AuditHead, type AuditRow } from './chain.js';
import { auditMigrations } from './schema.js';

/** The box's audit (rows appended synchronously, as the box's stores do), its async methods on the same db. */
function auditWith(rows: number): { db: Db; audit: LocalAudit } {
  const db = openDb(path.join(mkdtempSync(path.join(tmpdir(), 'ww-audit-')), 'a.db'), auditMigrations);
  let t = 1_764_000_000_000;
  const audit = createLocalAudit(db, { clock: () => (t += 1000) });
  for (let i = 1; i <= rows; i++) audit.recordNow({ actor: `user${i % 3}`, action: i % 2 ? 'clip.view' : 'export', target: `01JDQ6Z7A1B2C3D4E5F6G7H8J${i % 10}`, detail: { n: i, camera: 'cam-01' }, ip: '10.0.0.9' });
  return { db, audit };
}

/** What an attacker with the file can do: the triggers only stop honest mistakes. */
function tamper(db: Db, sql: string, ...params: unknown[]): void {
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  db.prepare(sql).run(...params);
}

describe('audit log', () => {
  it('verifies an untouched chain and counts its rows', async () => {
    const { audit } = auditWith(20);
    const v = await audit.verify();
    expect(v).toMatchObject({ ok: true, rows: 20 });
    expect((await audit.list({ limit: 2 })).map((r) => r.id)).toEqual([20, 19]);
    expect((await audit.list({ actor: 'user1', target: '01JDQ6Z7A1B2C3D4E5F6G7H8J7', limit: 5 })).map((r) => r.id)).toEqual([7]);
    expect((await audit.list({ before: 3 })).map((r) => r.id)).toEqual([2, 1]);
  });

  it('verifies an empty log', async () => {
    expect(await auditWith(0).audit.verify()).toMatchObject({ ok: true, rows: 0 });
  });

  it('chains rows appended through the async interface after synchronous ones, and list/verify see both', async () => {
    const { db, audit } = auditWith(3);
    const other = createAudit(sqliteSql(db), { clock: () => 1_765_000_000_000 });
    const row = await other.record({ actor: 'admin', action: 'user.add', target: 'nam', detail: { role: 'officer' } });
    expect(row).toMatchObject({ id: 4, actor: 'admin', action: 'user.add', target: 'nam', detail: '{"role":"officer"}' });
    expect(audit.recordNow({ actor: 'admin', action: 'user.lock', target: 'nam' }).id).toBe(5);
    expect(await other.verify()).toMatchObject({ ok: true, rows: 5 });
    expect((await audit.list({ target: 'nam' })).map((r) => r.action)).toEqual(['user.lock', 'user.add']);
    await expect(other.record({ actor: 'admin', action: 'no.such' as 'user.add' })).rejects.toThrow(/unknown audit action "no.such"/);
    await expect(other.record({ actor: '', action: 'user.add' })).rejects.toThrow(/needs an actor/);
    expect(await audit.verify()).toMatchObject({ ok: true, rows: 5 });
  });

  it('rolls a row appended with recordIn back with its transaction', async () => {
    const { db, audit } = auditWith(2);
    const sql = sqliteSql(db);
    await expect(
      sql.tx(async (t) => {
        await audit.recordIn(t, { actor: 'admin', action: 'user.add', target: 'nam' });
        throw new Error('the action failed');
      }),
    ).rejects.toThrow('the action failed');
    expect(await audit.verify()).toMatchObject({ ok: true, rows: 2 });
  });

  it('refuses UPDATE and DELETE through SQL by honest mistake', () => {
    const { db } = auditWith(3);
    expect(() => db.prepare("UPDATE audit SET actor = 'x' WHERE id = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit WHERE id = 2').run()).toThrow(/append-only/);
  });

  it.each([
    ['actor', "UPDATE audit SET actor = 'someone-else' WHERE id = 17"],
    ['detail', `UPDATE audit SET detail = '${canonicalJson({ camera: 'cam-02', n: 17 })}' WHERE id = 17`],
    ['time', 'UPDATE audit SET at = at - 3600000 WHERE id = 17'],
  ])('names row 17 when its %s is edited', async (_field, sql) => {
    const { db, audit } = auditWith(20);
    tamper(db, sql);
    expect(await audit.verify()).toMatchObject({ ok: false, problem: { kind: 'changed', id: 17, message: 'row 17 changed' } });
  });

  it('names row 17 when it is edited and its own hash recomputed', async () => {
    const { db, audit } = auditWith(20);
    const { rowHash } = await import('./chain.js');
    const row = db.prepare('SELECT * FROM audit WHERE id = 17').get() as Parameters<typeof rowHash>[0];
    const forged = { ...row, actor: 'someone-else' };
    tamper(db, 'UPDATE audit SET actor = ?, hash = ? WHERE id = 17', forged.actor, rowHash(forged));
    expect(await audit.verify()).toMatchObject({ ok: false, problem: { kind: 'changed', id: 17 } });
  });

  it('names a deleted middle row and its neighbours', async () => {
    const { db, audit } = auditWith(20);
    tamper(db, 'DELETE FROM audit WHERE id = 18');
    expect(await audit.verify()).toMatchObject({ ok: false, problem: { kind: 'missing', id: 18, message: 'row 18 missing between 17 and 19' } });
  });

  it('names deleted first rows', async () => {
    const { db, audit } = auditWith(5);
    tamper(db, 'DELETE FROM audit WHERE id <= 2');
    expect(await audit.verify()).toMatchObject({ ok: false, problem: { kind: 'missing', id: 1, message: 'rows 1–2 missing before row 3' } });
  });

  it('names deleted last rows from the head', async () => {
    const { db, audit } = auditWith(20);
    tamper(db, 'DELETE FROM audit WHERE id >= 19');
    const v = await audit.verify();
    expect(v).toMatchObject({ ok: false, problem: { kind: 'tail-deleted', id: 19 } });
    expect(v.ok ? '' : v.problem.message).toMatch(/^last rows deleted: rows 19–20 missing after row 18/);
  });

  it('keeps the chain across appends after a verify, and joins the caller\'s transaction', async () => {
    const { db, audit } = auditWith(2);
    expect(() =>
      db.transaction(() => {
        audit.recordNow({ actor: 'admin', action: 'user.add', target: 'nam' });
        throw new Error('the action failed');
      })(),
    ).toThrow('the action failed');
    expect(await audit.verify()).toMatchObject({ ok: true, rows: 2 });
    audit.recordNow({ actor: 'admin', action: 'user.add', target: 'nam' });
    expect(await audit.verify()).toMatchObject({ ok: true, rows: 3 });
  });

  // verify reads the log page by page: a break on either side of a page boundary is found as in one pass
  it.each([
    ['untouched', ''],
    ['the last row of a page deleted', 'DELETE FROM audit WHERE id = 6'],
    ['the first row of a page deleted', 'DELETE FROM audit WHERE id = 7'],
    ['a whole page deleted', 'DELETE FROM audit WHERE id BETWEEN 7 AND 9'],
    ['the last row of a page edited', "UPDATE audit SET actor = 'x' WHERE id = 9"],
    ['the tail deleted', 'DELETE FROM audit WHERE id > 10'],
  ])('verifies page by page as in one pass: %s', async (_, sql) => {
    const { db } = auditWith(14);
    if (sql) tamper(db, sql);
    const rows = db.prepare('SELECT * FROM audit ORDER BY id').all() as AuditRow[];
    const head = db.prepare('SELECT count, last_id, last_hash FROM audit_head').get() as AuditHead;
    const pages: number[] = [];
    const paged = await verifyChainPaged(async (after) => {
      pages.push(after);
      return rows.filter((r) => r.id > after).slice(0, 3);
    }, head);
    expect(paged).toEqual(verifyChain(rows, head));
    expect(pages.length).toBeGreaterThan(1);
  });
});
