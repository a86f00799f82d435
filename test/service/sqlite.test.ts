import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { appDbSuite } from './appdb-suite.ts';

// The service suite on the embedded SQLite file, each handle with its own connections.
appDbSuite(async () => {
  const path = join(tempDir(), 'app.sqlite');
  return {
    name: 'SQLite',
    open: () => EmbeddedDb.open(path),
    newDatabase: async () => {
      const fresh = join(tempDir(), 'app.sqlite');
      return () => EmbeddedDb.open(fresh);
    },
    stop: async () => {},
  };
});

// Found by an outside red team: a command forwarded to the server opened the server's database a
// second time in the server's process, and the descriptor it closed dropped every POSIX lock the
// server held on the file. A database without locks looks unused to the next process, which (a
// stock SQLite client did) then deleted its write-ahead log while the server still wrote into it.
test("opening the database again in the same process keeps the first handle's locks on the file", { skip: !existsSync('/proc/locks') && 'no /proc/locks here' }, async () => {
  const path = join(tempDir(), 'app.sqlite');
  const server = await EmbeddedDb.open(path);
  // This process's locks on the database file, as the kernel lists them.
  const locks = () =>
    readFileSync('/proc/locks', 'utf8')
      .split('\n')
      .filter((l) => l.includes(` ${process.pid} `) && l.includes(`:${statSync(path).ino} `)).length;
  try {
    await server.query('CREATE TABLE t (x INTEGER)');
    await server.query('SELECT count(*) AS n FROM t');
    const held = locks();
    assert.ok(held > 0, 'the open database holds a lock on its file');
    const again = await EmbeddedDb.open(path);
    await again.query('SELECT count(*) AS n FROM t');
    await again.close();
    assert.equal(locks(), held, 'the locks are still held');
  } finally {
    await server.close();
  }
});
