/**
 * The Node store is two SQLite files: tagrelay.db and its intake file (the record log and what the
 * accepting commit writes with it). SQLite locks per file, so an accepting commit does not wait for a
 * delivery commit holding the main file, and a store made before the split is moved over once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { intakeFileOf, openSqlite } from '../../src/runtime/node/db.js';
import { INTAKE_TABLES, migrate } from '../../src/store/schema.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const RECORD = "INSERT INTO records (event_id, received_at, config_version, data) VALUES (?, 1, 'v1', '{}')";
const tablesOf = (db: Database.Database) => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

describe('the intake file', () => {
  it('holds the record log; an accepting commit lands while another connection holds the main file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tagrelay-intake-'));
    const file = join(dir, 'tagrelay.db');
    const db = openSqlite(file, { yieldOnBusy: true });
    await migrate(db);
    expect(existsSync(intakeFileOf(file))).toBe(true);
    // A delivery commit in progress on the main file (warehouse row and cursor), not finished.
    const delivery = new Database(file);
    delivery.exec('BEGIN IMMEDIATE');
    delivery.prepare("INSERT INTO delivery_cursor (destination_id, seq) VALUES ('lake', 0)").run();
    let done = false;
    const accepted = db.batch([{ sql: RECORD, params: ['e-1'] }, { sql: RECORD, params: ['e-2'] }]).then((c) => ((done = true), c));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(done).toBe(true);
    expect(await accepted).toEqual([1, 1]);
    // A write to the main file from the accepting side still waits for the holder, then lands.
    let kv = false;
    const main = db.run("INSERT INTO kv (key, value) VALUES ('k', 'v')").then(() => (kv = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(kv).toBe(false);
    delivery.exec('COMMIT');
    await main;
    expect(kv).toBe(true);
    expect((await db.all<{ event_id: string }>('SELECT event_id FROM records ORDER BY seq')).map((r) => r.event_id)).toEqual(['e-1', 'e-2']);
    delivery.close();
    await db.close();
    // On disk: the records are in the intake file, not in the main file.
    const mainFile = new Database(file, { readonly: true });
    const intakeFile = new Database(intakeFileOf(file), { readonly: true });
    expect(tablesOf(mainFile)).not.toContain('records');
    expect(tablesOf(intakeFile)).toEqual(expect.arrayContaining([...INTAKE_TABLES]));
    expect(intakeFile.prepare('SELECT COUNT(*) AS n FROM records').get()).toEqual({ n: 2 });
    mainFile.close();
    intakeFile.close();
  });

  it('a store made before the split is moved once: rows kept, the record sequence never handed out twice', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tagrelay-intake-'));
    const file = join(dir, 'tagrelay.db');
    const old = new Database(file);
    old.exec(
      'CREATE TABLE records (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, received_at INTEGER NOT NULL, ' +
        'config_version TEXT NOT NULL, client_key TEXT, user_key TEXT, ip TEXT, user_agent TEXT, data TEXT NOT NULL)',
    );
    old.exec('CREATE TABLE traffic_counts (minute INTEGER NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (minute, outcome, reason))');
    for (const id of ['a', 'b', 'c']) old.prepare(RECORD).run(id);
    old.exec("INSERT INTO traffic_counts VALUES (1, 'rejected', 'ERR_X', 4)");
    // The newest record was erased: its seq (3) must not come back.
    old.exec("DELETE FROM records WHERE event_id = 'c'");
    old.close();

    const db = openSqlite(file);
    await migrate(db);
    await db.run(RECORD, ['d']);
    expect(await db.all('SELECT seq, event_id FROM records ORDER BY seq')).toEqual([
      { seq: 1, event_id: 'a' },
      { seq: 2, event_id: 'b' },
      { seq: 4, event_id: 'd' },
    ]);
    expect(await db.all('SELECT count FROM traffic_counts')).toEqual([{ count: 4 }]);
    expect(await db.all("SELECT name FROM main.sqlite_master WHERE name IN ('records', 'traffic_counts')")).toEqual([]);
    await migrate(db);
    expect(await db.get('SELECT COUNT(*) AS n FROM records')).toEqual({ n: 3 });
    await db.close();
  });

  it('a start that stopped after copying only drops the original', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tagrelay-intake-'));
    const file = join(dir, 'tagrelay.db');
    const db = openSqlite(file);
    await migrate(db);
    await db.run(RECORD, ['kept']);
    // The state a crash between the copy and the drop leaves: the table in both files.
    await db.exec('CREATE TABLE main.records (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT, received_at INTEGER, config_version TEXT, data TEXT)');
    await db.run("INSERT INTO main.records (event_id, received_at, config_version, data) VALUES ('stale', 1, 'v', '{}')");
    await migrate(db);
    expect(await db.all("SELECT name FROM main.sqlite_master WHERE name = 'records'")).toEqual([]);
    expect((await db.all<{ event_id: string }>('SELECT event_id FROM records')).map((r) => r.event_id)).toEqual(['kept']);
    await db.close();
  });
});
