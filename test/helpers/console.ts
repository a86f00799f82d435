/** What `derisk serve` prints: the address and a one-time login code in its fragment. */
export const CONSOLE_ADDRESS = /open (http:\/\/\S+)\/#code=([A-Za-z0-9_-]+)/;

/** Exchanges the console's login code for a session: the headers a script sends with every request. */
export async function consoleSession(base: string, code: string): Promise<Record<string, string>> {
  const r = await fetch(`${base}/api/login/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  if (r.status !== 200) throw new Error(`login code refused: ${r.status} ${await r.text()}`);
  const cookie = String(r.headers.get('set-cookie')).split(';')[0]!;
  return { cookie, 'x-csrf-token': ((await r.json()) as { csrf: string }).csrf };
}
