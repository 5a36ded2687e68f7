import { describe, expect, it } from 'vitest';
import { migrate, openDb } from '../../shared/db.js';
import { uplinkMigrations, uplinkTables } from './schema.js';

describe('outbox migration to end-to-end acks', () => {
  it('gives rows queued by an older box their msgId from the payload, so the hub\'s cmd/ack can name them', () => {
    const db = openDb(':memory:', uplinkMigrations, { durable: false });
    const insert = db.prepare('INSERT INTO outbox (topic, payload, created_at) VALUES (?, ?, 0)');
    insert.run('wardwatch/v1/p07/events', Buffer.from('{"msgId":"01JDQ6Z8X4K3M5N7P9R2S4T6V8","type":"start"}'));
    insert.run('wardwatch/v1/p07/events', Buffer.from('{"type":"start"}')); // no msgId
    insert.run('wardwatch/v1/p07/clips/x/manifest', Buffer.from('not json'));
    expect(migrate(db, uplinkTables)).toBe(1);
    expect(db.prepare('SELECT msg_id FROM outbox ORDER BY seq').pluck().all()).toEqual(['01JDQ6Z8X4K3M5N7P9R2S4T6V8', null, null]);
    expect(db.prepare("SELECT count(*) FROM uplink_state").pluck().get()).toBe(0);
    db.close();
  });
});
