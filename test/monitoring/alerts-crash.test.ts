import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { alertingHome, coPublication, until, uploadWorks } from '../helpers/alerting-home.ts';
import { api, exited, startServer, stop } from '../helpers/serve.ts';
import { LOOPBACK_ENV } from '../helpers/receivers.ts';

// The end-to-end case, on a real `derisk serve` killed with SIGKILL at the named points:
// watch an institution → an export with a new co-publication with a listed entity arrives → the
// alert is in the inbox, the Atom feed and a verified webhook delivery, exactly once.
let home: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    received.push({ headers: req.headers, body });
    res.writeHead(204).end();
  });
});
let hookUrl: string;

before(async () => {
  home = await alertingHome();
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/derisk`;
});

after(() => {
  receiver.closeAllConnections();
  receiver.close();
});

test('watch → upload with a new co-publication with a listed entity → inbox, Atom feed and a verified webhook, exactly once, across kill -9 at each point between', async () => {
  let server = await startServer(home, LOOPBACK_ENV);
  let verifier: Webhook;
  let feedUrl: string;
  // Every delivery verifies with the endpoint's secret in the independent standardwebhooks package.
  // It refuses a signature older than five minutes, so each round verifies what came in during it.
  const ids: string[] = [];
  const verifyReceived = () => {
    for (const r of received.slice(ids.length)) ids.push((verifier.verify(r.body, r.headers as Record<string, string>) as { data: { id: string } }).data.id);
  };
  try {
    assert.equal((await api(server, 'POST', '/api/watchlist', { text: 'KU Leuven' })).status, 201);
    const hook = await api(server, 'POST', '/api/webhooks', { url: hookUrl });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    verifier = new Webhook(hook.body.secret);
    const feed = await api(server, 'POST', '/api/alerts/feed');
    feedUrl = feed.body.url;
  } finally {
    await stop(server, 'SIGTERM');
  }

  const points = ['monitor.before-alerts:1', 'monitor.alerts-committed:1', 'webhook.answered:1'];
  for (const [i, point] of points.entries()) {
    server = await startServer(home, { ...LOOPBACK_ENV, DERISK_CRASH_AT: point });
    const doomed = uploadWorks(server, coPublication(`W${i}`, 'crash')).catch((e: Error) => e);
    await exited(server.proc);
    assert.equal(server.proc.signalCode, 'SIGKILL', `${point}: the server was killed there`);
    await doomed;
    server = await startServer(home, LOOPBACK_ENV);
    try {
      // The restarted server finishes what the killed one left: the alert, then its delivery.
      const alerts = await until(`${point}: the alert`, async () => {
        const r = await api(server, 'GET', '/api/alerts');
        return r.body.length === i + 1 && r.body;
      });
      const alert = alerts.find((a: { evidence: { work: { id: string } } }) => a.evidence.work.id === `doi:10.5555/crash.w${i}`);
      assert.ok(alert, `${point}: ${JSON.stringify(alerts.map((a: { title: string }) => a.title))}`);
      assert.equal(alert.kind, 'new-copublication');
      await until(`${point}: the delivery`, async () => received.some((r) => r.headers['webhook-id'] === alert.id));
      const xml = await (await fetch(feedUrl.replace(/^http:\/\/[^/]+/, server.base))).text();
      assert.equal(xml.split(`<id>urn:uuid:${alert.id}</id>`).length, 2, `${point}: once in the feed`);
      assert.equal((xml.match(/<entry>/g) ?? []).length, i + 1);
      verifyReceived();
    } finally {
      await stop(server, 'SIGTERM');
    }
  }

  verifyReceived();
  assert.deepEqual(
    received.map((r) => r.headers['webhook-id']),
    ids,
  );
  // One delivery per alert, except where the kill came after the endpoint answered and before it
  // was recorded: that one is sent again with the same webhook-id (Standard Webhooks' idempotency
  // key), so a receiver that keeps the ids it has seen processes every alert exactly once.
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.equal(counts.size, 3, 'three alerts delivered');
  assert.deepEqual([...counts.values()].sort(), [1, 1, 2]);
  const repeated = [...counts.entries()].find(([, n]) => n === 2)![0];
  assert.equal(JSON.parse(received.find((r) => r.headers['webhook-id'] === repeated)!.body).data.evidence.work.id, 'doi:10.5555/crash.w2', 'the repeat is the one killed after the answer');
});
