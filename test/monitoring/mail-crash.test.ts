import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { alertingHome, coPublication, until, uploadWorks } from '../helpers/alerting-home.ts';
import { api, exited, startServer, stop } from '../helpers/serve.ts';
import { TestSmtp } from '../helpers/smtp.ts';

// A real `derisk serve` mailing its alerts to a local SMTP server, killed with SIGKILL at each point
// between an upload and the mail's recording: every alert is mailed, and a mail is sent again only
// where the kill fell after the mail server accepted it, then with the same Message-ID.
let home: string;
const smtp = new TestSmtp();
let env: Record<string, string>;

before(async () => {
  home = await alertingHome();
  env = { DERISK_SMTP_URL: await smtp.start(), DERISK_MAIL_FROM: 'derisk <alerts@derisk.example>', DERISK_PUBLIC_URL: 'https://derisk.example' };
});

after(() => smtp.stop());

test('watch → upload → the alert is mailed, across kill -9 at each point between; a repeat only after the server accepted it, with the same Message-ID', async () => {
  let server = await startServer(home, env);
  try {
    assert.equal((await api(server, 'POST', '/api/watchlist', { text: 'KU Leuven' })).status, 201);
    assert.equal((await api(server, 'PUT', '/api/alerts/mail', { mode: 'immediate' })).status, 204);
  } finally {
    await stop(server, 'SIGTERM');
  }

  const points = ['monitor.before-alerts:1', 'monitor.alerts-committed:1', 'mail.answered:1'];
  for (const [i, point] of points.entries()) {
    server = await startServer(home, { ...env, DERISK_CRASH_AT: point });
    const doomed = uploadWorks(server, coPublication(`W${i}`, 'mailcrash')).catch((e: Error) => e);
    await exited(server.proc);
    assert.equal(server.proc.signalCode, 'SIGKILL', `${point}: the server was killed there`);
    await doomed;
    server = await startServer(home, env);
    try {
      // Killed after the server accepted the mail, the restarted one sends it again (below: as the same message).
      const copies = point.startsWith('mail.') ? 2 : 1;
      await until(`${point}: the mail`, () => smtp.received.filter((m) => m.body.includes(`10.5555/mailcrash.w${i}`)).length === copies);
      assert.equal((await api(server, 'GET', '/api/alerts')).body.length, i + 1);
    } finally {
      await stop(server, 'SIGTERM');
    }
  }

  // Every mail delivery is recorded as delivered, once: nothing is left to send again.
  const db = await EmbeddedDb.open(join(home, 'app.sqlite'));
  try {
    const rows = await db.query<{ status: string; attempts: number }>("SELECT status, attempts FROM alert_deliveries WHERE webhook_id LIKE 'mail:%' ORDER BY attempts");
    assert.deepEqual(
      rows.map((r) => [r.status, Number(r.attempts)]),
      [
        ['delivered', 1],
        ['delivered', 1],
        ['delivered', 1],
      ],
    );
  } finally {
    await db.close();
  }

  const byWork = new Map<string, string[]>();
  for (const m of smtp.received) {
    assert.deepEqual(m.to, ['admin@localhost']);
    assert.match(m.headers.get('list-unsubscribe') ?? '', /^<https:\/\/derisk\.example\/unsubscribe\/drku_[A-Za-z0-9_-]{32}>$/);
    const w = /10\.5555\/mailcrash\.(w\d)/.exec(m.body)![1]!;
    byWork.set(w, [...(byWork.get(w) ?? []), m.headers.get('message-id')!]);
  }
  assert.deepEqual([...byWork.keys()].sort(), ['w0', 'w1', 'w2'], 'every alert mailed');
  assert.deepEqual(byWork.get('w0')!.length, 1);
  assert.deepEqual(byWork.get('w1')!.length, 1);
  const repeat = byWork.get('w2')!;
  assert.equal(repeat.length, 2, 'killed after the server accepted it: sent again');
  assert.equal(repeat[0], repeat[1], 'as the same message');
});
