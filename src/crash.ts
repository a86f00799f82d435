/**
 * A test facility: `DERISK_CRASH_AT=<point>:<n>` makes the process die abruptly (SIGKILL, as
 * `kill -9` would: no finally blocks, no flushing, no clean-up) the n-th time it passes the named
 * point, so crash tests hit exactly the moment they mean instead of racing a timer. Points:
 *
 * - `ingest.batch-committed`: a batch of records and the file's progress mark have committed
 * - `refresh.before-commit`: the analytics refresh did its work but has not committed
 * - `appdb.before-commit`: an application-database transaction did its work but has not committed
 * - `appdb.committed`: an application-database transaction has committed, nothing answered yet
 * - `upload.ingested`: an upload's evidence is in the store, its audit entry not yet written
 * - `upload.audited`: an upload's audit entry has committed, the uploader not yet answered
 * - `monitor.before-alerts`: the monitor computed a new evidence file's alerts but has not recorded them
 * - `monitor.alerts-committed`: a file's (or list version's) alerts and their delivery jobs have committed
 * - `webhook.answered`: a webhook endpoint answered a delivery, which is not yet marked delivered
 * - `mail.answered`: the mail server answered a mail (accepted or refused), which is not yet recorded
 * - `publish.copied`: a publish to a ClickHouse cluster copied the previous snapshot's unchanged rows, the changed works not yet sent
 * - `publish.complete`: a published snapshot is complete on every shard, its predecessor not yet dropped nor the store told
 *
 * Unset (always, outside tests) a point is an empty function call.
 */
export const crashPoint: (point: string) => void = armed(process.env.DERISK_CRASH_AT);

function armed(spec: string | undefined): (point: string) => void {
  if (!spec) return () => {};
  const m = /^([a-z][a-z.-]*):([1-9][0-9]*)$/.exec(spec);
  if (!m) throw new Error(`DERISK_CRASH_AT=${JSON.stringify(spec)}: expected <point>:<n>, e.g. ingest.batch-committed:3`);
  const [, target, nth] = m;
  let passes = 0;
  return (point) => {
    if (point === target && ++passes === Number(nth)) process.kill(process.pid, 'SIGKILL');
  };
}
