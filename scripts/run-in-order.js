// Runs the test files named, `--test-concurrency` at a time, starting them in the order given:
// `node --test` sorts the files it is given by name (Node 20), which would start the longest ones
// last. Started by run-tests.js with the test loader (`--import`), which each test file's process inherits.
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';

const [concurrency, ...files] = process.argv.slice(2);
run({ files, concurrency: Number(concurrency) })
  .on('test:fail', (data) => {
    if (!data.todo) process.exitCode = 1;
  })
  .compose(process.stdout.isTTY ? new spec() : tap)
  .pipe(process.stdout);
