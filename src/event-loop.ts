/**
 * How long one slice of work over user input may hold the event loop: a server shares it with every
 * tenant's requests (a 400-line batch held it for over a minute, /health included), so long loops
 * behind HTTP routes give it back between slices. A scheduling budget, not a rule: it changes no answer.
 */
const SLICE_MS = 5;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * `items.map(work)` in order, giving the event loop back whenever a slice has run for SLICE_MS. Once `signal` is aborted
 * (the client closed the request, the server is stopping) no further item is worked: its reason is thrown (round 50, busy54:
 * a batch whose client had gone kept half a core busy for minutes).
 */
export async function mapInSlices<T, R>(items: readonly T[], work: (item: T, index: number) => R, signal?: AbortSignal): Promise<R[]> {
  const out: R[] = [];
  let sliceStart = performance.now();
  for (const [i, item] of items.entries()) {
    if (performance.now() - sliceStart >= SLICE_MS) {
      await turn();
      sliceStart = performance.now();
    }
    signal?.throwIfAborted();
    out.push(work(item, i));
  }
  return out;
}
