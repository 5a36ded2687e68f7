import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '../db.js';
import { createAudit } from './audit.js';
import { canonicalJson } from './chain.js';
import { auditMigrations } from './schema.js';

function auditWith(rows: number): { db: Db; audit: ReturnType<typeof createAudit> } {
  const db = openDb(path.join(mkdtempSync(path.join(tmpdir(), 'ww-audit-')), 'a.db'), auditMigrations);
  let t = 1_764_000_000_000;
  const audit = createAudit(db, { clock: () => (t += 1000) });
  for (let i = 1; i <= rows; i++) audit.record({ actor: `user${i % 3}`, action: i % 2 ? 'clip.view' : 'export', target: `01JDQ6Z7A1B2C3D4E5F6G7H8J${i % 10}`, detail: { n: i, camera: 'cam-01' }, ip: '10.0.0.9' });
  return { db, audit };
}

/** What an attacker with the file can do: the triggers only stop honest mistakes. */
function tamper(db: Db, sql: string, ...params: unknown[]): void {
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  db.prepare(sql).run(...params);
}

describe('audit log', () => {
  it('verifies an untouched chain and counts its rows', () => {
    const { audit } = auditWith(20);
    const v = audit.verify();
    expect(v).toMatchObject({ ok: true, rows: 20 });
    expect(audit.list({ limit: 2 }).map((r) => r.id)).toEqual([20, 19]);
  });

  it('verifies an empty log', () => {
    expect(auditWith(0).audit.verify()).toMatchObject({ ok: true, rows: 0 });
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
  ])('names row 17 when its %s is edited', (_field, sql) => {
    const { db, audit } = auditWith(20);
    tamper(db, sql);
    expect(audit.verify()).toMatchObject({ ok: false, problem: { kind: 'changed', id: 17, message: 'row 17 changed' } });
  });

  it('names row 17 when it is edited and its own hash recomputed', async () => {
    const { db, audit } = auditWith(20);
    const { rowHash } = await import('./chain.js');
    const row = db.prepare('SELECT * FROM audit WHERE id = 17').get() as Parameters<typeof rowHash>[0];
    const forged = { ...row, actor: 'someone-else' };
    tamper(db, 'UPDATE audit SET actor = ?, hash = ? WHERE id = 17', forged.actor, rowHash(forged));
    expect(audit.verify()).toMatchObject({ ok: false, problem: { kind: 'changed', id: 17 } });
  });

  it('names a deleted middle row and its neighbours', () => {
    const { db, audit } = auditWith(20);
    tamper(db, 'DELETE FROM audit WHERE id = 18');
    expect(audit.verify()).toMatchObject({ ok: false, problem: { kind: 'missing', id: 18, message: 'row 18 missing between 17 and 19' } });
  });

  it('names deleted first rows', () => {
    const { db, audit } = auditWith(5);
    tamper(db, 'DELETE FROM audit WHERE id <= 2');
    expect(audit.verify()).toMatchObject({ ok: false, problem: { kind: 'missing', id: 1, message: 'rows 1–2 missing before row 3' } });
  });

  it('names deleted last rows from the head', () => {
    const { db, audit } = auditWith(20);
    tamper(db, 'DELETE FROM audit WHERE id >= 19');
    const v = audit.verify();
    expect(v).toMatchObject({ ok: false, problem: { kind: 'tail-deleted', id: 19 } });
    expect(v.ok ? '' : v.problem.message).toMatch(/^last rows deleted: rows 19–20 missing after row 18/);
  });

  it('keeps the chain across appends after a verify, and joins the caller\'s transaction', () => {
    const { db, audit } = auditWith(2);
    expect(() =>
      db.transaction(() => {
        audit.record({ actor: 'admin', action: 'user.add', target: 'nam' });
        throw new Error('the action failed');
      })(),
    ).toThrow('the action failed');
    expect(audit.verify()).toMatchObject({ ok: true, rows: 2 });
    audit.record({ actor: 'admin', action: 'user.add', target: 'nam' });
    expect(audit.verify()).toMatchObject({ ok: true, rows: 3 });
  });
});
