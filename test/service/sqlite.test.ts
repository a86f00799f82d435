import { join } from 'node:path';
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
