import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCountryLabelErrors, readFailureClasses, withCountryGoldCorrected } from '../../src/resolve/evaluate.ts';
import { TIER_RANK, type Resolution } from '../../src/resolve/matcher.ts';
import { FAILURE_CLASSES } from '../../bench/labelled.ts';
import { ROR_DUMP, realRegistry } from '../helpers/registry.ts';

// One case per failure class of issue 15, on the real (partial) registry of the data mirror.
const skip = !existsSync(ROR_DUMP) && 'data mirror not present';

const resolve = async (s: string) => (await realRegistry()).resolver.resolve(s);
/** The institution derisk counts (tier strong or better), by name, or null. */
const counted = (r: Resolution) => r.institutions.find((m) => m.primary && TIER_RANK[m.tier] >= TIER_RANK.strong)?.name ?? null;

test('us-state: a state code or name is the US, not the country or foreign city it resembles', { skip }, async () => {
  const nj = await resolve('Rutgers, The State University of New Jersey, Piscataway, New Jersey');
  assert.equal(counted(nj), 'Rutgers, The State University of New Jersey');
  assert.equal(nj.countryCode, 'US');
  const fl = await resolve('Florida State University Panama City, Panama City, FL 32405');
  assert.equal(fl.countryCode, 'US');
  assert.equal(counted(fl), 'Florida State University');
  const athens = await resolve('School of Computing, University of Georgia, Athens, GA');
  assert.equal(counted(athens), 'University of Georgia');
  assert.equal(athens.institutions[0]!.countryCode, 'US', 'the Georgian namesake in Tbilisi is not meant');
});

test('us-state: a state inside an institution\'s name ("University of Maryland") does not place the string; standing as a place it does', { skip }, async () => {
  const two = await resolve('University of Edinburgh, University of Maryland');
  assert.equal(two.countryCode, null, 'two institutions in two countries, and no address');
  assert.match(two.countryEvidence, /institutions in 2 countries and no place: GB \(University of Edinburgh\), US/);
  assert.ok(
    two.institutions.some((m) => m.name === 'University of Edinburgh' && TIER_RANK[m.tier] >= TIER_RANK.strong),
    'Edinburgh is not demoted as if the string were in Maryland',
  );
  assert.equal((await resolve('Glorp Institute, Baltimore, Maryland')).countryCode, 'US');
  assert.equal((await resolve('University of Edinburgh, Department of Physics, College Park, MD 20742')).countryCode, 'US');
});

test('namesake-unit: namesakes in several countries are told apart by a unit of one of them the string names; alone they stay unresolved', { skip }, async () => {
  const nih = await resolve('Laboratory of Genetics, National Cancer Institute, National Institutes of Health');
  assert.equal(counted(nih), 'National Institutes of Health');
  assert.equal(nih.institutions.find((m) => m.primary)!.rorId, '01cwqze88', "the US NIH, whose child is the National Cancer Institute, not Malaysia's");
  assert.equal(nih.institutions.find((m) => m.primary)!.basis.ambiguity, 'unit');
  assert.equal(nih.countryCode, 'US');
  const alone = await resolve('National Institutes of Health');
  assert.equal(counted(alone), null, 'US, Malaysia and Pakistan hold the name; nothing tells them apart');
  assert.equal(alone.countryCode, null);
  // Written as a unit of a name held only in other countries, the registry's namesake elsewhere (a Czech institute) is not counted;
  // the unit, whose own record the partial registry lacks, is named as its child by the US NIH's record, which it tells apart (round 49).
  const nimh = await resolve('Section on Neuroplasticity, National Institute of Mental Health, National Institutes of Health');
  assert.equal(counted(nimh), 'National Institutes of Health');
  assert.equal(nimh.institutions.find((m) => m.primary)!.rorId, '01cwqze88');
  assert.equal(nimh.countryCode, 'US');
  assert.ok(!nimh.institutions.some((m) => m.rorId === '05xj56w78' && m.tier !== 'possible'), 'the Czech namesake');
  assert.match(nimh.institutions.find((m) => m.primary)!.evidence, /told apart from its namesakes by "National Institute of Mental Health", which the registry names as its unit \(04xeg9z08/);
  assert.equal(counted(await resolve('National Institute of Mental Health, Klecany, Czech Republic')), 'National Institute of Mental Health');
});

test('acronym: an acronym all of whose registry holders are in one country gives it only beside other evidence that agrees', { skip }, async () => {
  // Alone, the letters may be any name's the registry does not hold ("TTIC": the registry's holder is a French team).
  for (const [s, code] of [
    ['NCSU', 'US'],
    ['TTIC', 'FR'],
    ['ART', 'US'],
  ] as const) {
    const alone = await resolve(s);
    assert.equal(alone.countryCode, null, s);
    assert.deepEqual(alone.institutions, [], s);
    assert.match(alone.countryEvidence, new RegExp(`every registry holder of the acronym "${s}" is in ${code}, but nothing else in the string places it there, and an acronym alone decides no country`), s);
  }
  const kaist = await resolve('Korea Advanced Inst Sci, KAIST');
  assert.equal(counted(kaist), null);
  assert.equal(kaist.countryCode, 'KR', "the country's own name, written in the string, agrees");
  assert.match(kaist.countryEvidence, /"korea", written in the string, names KR, and every active registry institution with the acronym "KAIST" is in KR/);
  assert.equal((await resolve('Weizmann Institute, KAIST')).countryCode, null, 'a match in Israel beside it');
});

test("place-name: a place only an institution's name holds gives the country when nothing else does, never against an institution named", { skip }, async () => {
  for (const [s, code] of [
    ['Universität Bochum', 'DE'],
    ['University of Karlsruhe', 'DE'],
    ['Purdue University and University of Michigan', 'US'],
  ] as const) {
    const r = await resolve(s);
    assert.equal(r.countryCode, code, s);
    assert.match(r.countryEvidence, /a place in .*, is named inside a part of the string/, s);
  }
  assert.equal((await resolve('Tsinghua University, University of Toronto')).countryCode, null);
});

test('place-name: an institute named like a foreign city, and Greek institutions signed "Hellas"', { skip }, async () => {
  const mila = await resolve('Mila, Université de Montréal');
  assert.equal(mila.countryCode, 'CA', 'Mila is also a city in Algeria');
  assert.ok(mila.institutions.every((m) => m.countryCode === 'CA'));
  const forth = await resolve('Foundation for Research and Technology - Hellas (FORTH), Heraklion, Crete');
  assert.equal(counted(forth), 'Foundation for Research and Technology Hellas');
  assert.equal(forth.countryCode, 'GR');
  const ntua = await resolve('National Technical University of Athens, Athens, Hellas');
  assert.equal(ntua.countryCode, 'GR');
  assert.equal(counted(ntua), 'National Technical University of Athens');
});

test('place-name: a city the registry holds only as some company\'s alias is still the city ("Milan" is an alias of Mylan)', { skip }, async () => {
  for (const s of ['Empatica Inc, Milan', 'Rtone, 120 Rue St Cyr, F-69009 Lyon']) {
    const r = await resolve(s);
    assert.equal(r.countryCode, s.includes('Milan') ? 'IT' : 'FR', s);
  }
});

test('place-name: a city before its state that a company holds as an alias is the address, not an institution ("Hartford": Hartford Financial Services)', { skip }, async () => {
  const trinity = await resolve('Trinity College, Hartford, CT');
  assert.equal(counted(trinity), 'Trinity College');
  assert.ok(!trinity.institutions.some((m) => m.name.startsWith('Hartford') && TIER_RANK[m.tier] >= TIER_RANK.strong));
  for (const s of ['Nonexistent Robotics GmbH, Hartford, CT', 'Glorp Institute, Hartford, Connecticut']) {
    const r = await resolve(s);
    assert.equal(counted(r), null, s);
    assert.equal(r.countryCode, 'US', s);
    assert.match(r.institutions[0]!.evidence, /"hartford" is the place the string names before its state or country, and the registry holds it only as an alias of a company: kept as possible/);
  }
});

test('place-name: a place that names two countries and nothing else decides gives no country; the institution may', { skip }, async () => {
  const rutgers = await resolve('Rutgers State Univ, WINLAB, New Brunswick');
  assert.equal(rutgers.countryCode, null, 'New Brunswick, New Jersey or New Brunswick, Canada');
  assert.match(rutgers.countryEvidence, /may be in CA or US/);
  assert.equal((await resolve('Georgian Technical University, 0175, Georgia')).countryCode, 'GE');
});

test('explicit-country: a country named must agree with the registry match; if not, the place wins and the match is only possible', { skip }, async () => {
  // The registry's "École Normale Supérieure" is in Burundi; in France the same name extended is ENS - PSL.
  const ens = await resolve('École Normale Supérieure, Paris, France');
  assert.equal(ens.countryCode, 'FR');
  assert.equal(counted(ens), 'École Normale Supérieure - PSL');
  assert.ok(!ens.institutions.some((m) => m.countryCode === 'BI' && TIER_RANK[m.tier] >= TIER_RANK.strong));
  // The registry's "Institute of Pharmacology" is in Prague: kept as possible, with the disagreement stated; Austria stands.
  const vienna = await resolve('Institute of Pharmacology, Vienna, Austria');
  assert.equal(vienna.countryCode, 'AT');
  assert.equal(counted(vienna), null);
  assert.equal(vienna.institutions[0]?.tier, 'possible');
  assert.match(vienna.institutions[0]!.evidence, /the string names AT .* registry places it elsewhere/);
  // Namesakes in several countries: the country named picks one.
  assert.equal(counted(await resolve('China Medical University, Taichung, Taiwan')), 'China Medical University');
  assert.equal((await resolve('China Medical University, Taichung, Taiwan')).institutions[0]!.countryCode, 'TW');
  assert.equal((await resolve('Universidad de los Andes, Santiago, Chile')).institutions[0]!.countryCode, 'CL');
  // No École Normale Supérieure in Rabat: neither Burundi's nor Fès's is meant, and Rabat gives the country.
  for (const s of ['École Normale Supérieure de Rabat', 'École Normale Supérieure de Rabat, Morocco']) {
    const r = await resolve(s);
    assert.equal(counted(r), null, s);
    assert.equal(r.countryCode, 'MA', s);
    assert.equal(r.institutions[0]?.tier, 'possible', s);
    assert.match(r.institutions[0]!.evidence, /the string names "rabat", a place in MA and the registry places it elsewhere/, s);
  }
});

test('place-name: a campus named by a place abroad is read as that place ("… Ningbo Campus" is in China); one named by another institution\'s words is not the campus', { skip }, async () => {
  const ningbo = await resolve('University of Nottingham Ningbo Campus');
  assert.equal(counted(ningbo), 'University of Nottingham Ningbo China');
  assert.equal(ningbo.countryCode, 'CN');
  for (const [s, code] of [
    ['Heriot-Watt University Dubai Campus', 'AE'],
    ['Sorbonne University Abu Dhabi Campus', 'AE'],
    ['Carnegie Mellon University Qatar Campus', 'QA'],
  ] as const) {
    const r = await resolve(s);
    assert.equal(counted(r), null, s);
    assert.equal(r.countryCode, code, s);
  }
  assert.notEqual(counted(await resolve('University of Texas MD Anderson Campus')), 'The University of Texas System');
  assert.equal(counted(await resolve('Peking University Yuquan Campus')), 'Peking University');
});

test('explicit-country: a city named outside the institution, in a country it has no record in, is where the author is', { skip }, async () => {
  const r = await resolve('Hong Kong Polytech Univ, Shenzhen Res Inst, Shenzhen');
  assert.equal(r.countryCode, 'CN', 'a Hong Kong university’s institute in Shenzhen is in mainland China');
  assert.ok(!r.institutions.some((m) => m.countryCode === 'HK' && TIER_RANK[m.tier] >= TIER_RANK.strong));
});

test('explicit-country: "Hong Kong, China" and "Macau, China" agree with a Hong Kong or Macao record; two addresses joined by ", and" give no country', { skip }, async () => {
  for (const [s, name, code] of [
    ['City University of Hong Kong, Hong Kong, China', 'City University of Hong Kong', 'HK'],
    ['City Univ Hong Kong, Kowloon Tong, Hong Kong, Peoples R China', 'City University of Hong Kong', 'HK'],
    ['University of Macau, Macau, China', 'University of Macau', 'MO'],
  ] as const) {
    const r = await resolve(s);
    assert.equal(counted(r), name, s);
    assert.equal(r.countryCode, code, s);
  }
  for (const s of ['Imperial College London, London, UK, and Peking University, Beijing, China', 'Peking University Shenzhen Graduate School, Shenzhen, China, and The Chinese University of Hong Kong, Hong Kong']) {
    const r = await resolve(s);
    assert.equal(r.countryCode, null, s);
    assert.match(r.countryEvidence, /the string holds addresses in 2 countries/, s);
  }
});

test('noise: export artefacts, detached accents, glued e-mail addresses and postcodes, footnote marks', { skip }, async () => {
  const darmstadt = await resolve('Technische Universit¨at Darmstadt#TAB#');
  assert.equal(counted(darmstadt), 'Technische Universität Darmstadt');
  assert.match(darmstadt.institutions[0]!.evidence, /after repairs: .*detached accents rejoined/);
  assert.equal(counted(await resolve('´Ecole Polytechnique F ´ed´erale de Lausanne (EPFL)')), 'École Polytechnique Fédérale de Lausanne');
  const tsinghua = await resolve('Tsinghua University, Beijing 100084, Chinazhang.san@tsinghua.edu.cn');
  assert.equal(counted(tsinghua), 'Tsinghua University');
  assert.equal(tsinghua.countryCode, 'CN');
  assert.equal(counted(await resolve('Huazhong University of Science and Technology, Wuhan430074, China')), 'Huazhong University of Science and Technology');
  const two = await resolve('Zhejiang University, Hangzhou, China∗Alibaba Group, Hangzhou, China');
  assert.equal(counted(two), 'Zhejiang University');
  assert.ok(
    two.institutions.some((m) => m.name === 'Alibaba Group (China)'),
    'the second institution after the footnote mark is found too',
  );
  const tagged = await resolve('<org_name>University of Maribor, Slovenia</org_name>');
  assert.equal(tagged.countryCode, 'SI', "a publisher's markup around the affiliation hides neither the country nor the institution");
  assert.match(tagged.institutions[0]!.evidence, /after repairs: .*markup tags removed/);
});

test('noise: a note that the institution is an address ("Currently atJohnson…", "Present address:") is no part of its name', { skip }, async () => {
  const glued = await resolve('Currently atJohnson & Johnson Vision');
  assert.equal(counted(glued), 'Johnson & Johnson Vision Care (United States)');
  assert.match(glued.institutions[0]!.evidence, /after repairs: a note that the institution is an address \("Currently at"\) taken out/);
  assert.equal(counted(await resolve('Currently atGeorg August Universität')), 'University of Göttingen');
  const later = await resolve('Department of Physics, Now at Tsinghua University, Beijing, China');
  assert.equal(counted(later), 'Tsinghua University');
  assert.equal(later.institutions[0]!.tier, 'exact');
  // A name beginning with the note's letters is no note.
  assert.equal(counted(await resolve('Now Athens University')), null);
});

test('noise: German umlauts written without them ("Universitaet Wien", "University of Wuerzburg") are the registry\'s name', { skip }, async () => {
  const wien = await resolve('Universitaet Wien');
  assert.equal(counted(wien), 'University of Vienna');
  assert.match(wien.institutions[0]!.evidence, /read "Universitaet" as "Universität" \(registry and place names write them with umlauts\)/);
  assert.equal(counted(await resolve('University of Wuerzburg')), 'University of Würzburg');
  assert.equal(counted(await resolve('Technische Universitaet Muenchen, Munich, Germany')), 'Technical University of Munich');
});

test('noise: a word of a registry or place name written without umlauts reads as the name ("Goethe-Universitaet", "Duesseldorf"); "ae" in other words stays', { skip }, async () => {
  assert.equal(counted(await resolve('Goethe-Universitaet Frankfurt')), 'Goethe University Frankfurt');
  assert.equal((await resolve('Universitaet Duesseldorf')).countryCode, 'DE');
  assert.equal((await resolve('Max Planck Institute, Koeln')).countryCode, 'DE');
  const names = await resolve('Raphael Samuel, Israel Institute, Michael Goethe');
  assert.doesNotMatch(JSON.stringify(names), /umlauts/);
});

test('place-name: a word in brackets after a lab that the registry holds as an institution ("[Mila]") is that institution, not a town', { skip }, async () => {
  for (const s of ['DIRO, Université de Montréal [Mila]', 'Polytechnique Montréal [Mila]', 'Lab of AI [Mila]']) {
    const r = await resolve(s);
    assert.equal(r.countryCode, 'CA', s);
    assert.equal(counted(r), 'Mila - Quebec Artificial Intelligence Institute', s);
  }
});

test('acronym: an acronym written with a small letter ("CNyN", "LaRC") adds nothing to the name beside it; a proper name in two capitals ("HafenCity") does', { skip }, async () => {
  assert.equal(counted(await resolve('Universidad Nacional Autonoma de Mexico CNyN')), 'Universidad Nacional Autónoma de México');
  assert.equal(counted(await resolve('NASA Langley Research Center  LaRC')), 'Langley Research Center');
  assert.equal(counted(await resolve('HafenCity University Hamburg')), null);
});

test('company: the company is resolved; a named place gives the country; a multinational lab without a place says "company known, country unknown"', { skip }, async () => {
  const noah = await resolve("Huawei Noah's Ark Lab");
  assert.equal(noah.countryCode, null);
  assert.match(noah.countryEvidence, /company known \(Huawei\), country unknown: Noah's Ark Lab .* works in CN, HK, GB, FR, CA/);
  assert.equal(noah.institutions[0]?.name, 'Huawei Technologies (China)');
  assert.equal(noah.institutions[0]?.tier, 'possible', 'the country record cannot be chosen, so it is not counted');
  const london = await resolve("Huawei Noah's Ark Lab, London, UK");
  assert.equal(london.countryCode, 'GB');
  assert.equal(counted(london), null, 'Huawei has no registry record in the UK');
  const shenzhen = await resolve('Tencent AI Lab, Shenzhen, China');
  assert.equal(counted(shenzhen), 'Tencent (China)');
  assert.equal(shenzhen.countryCode, 'CN');
  assert.equal(counted(await resolve('Microsoft Research Asia')), 'Microsoft Research Asia (China)');
  assert.equal((await resolve('Microsoft Research Asia')).countryCode, 'CN');
  const google = await resolve('Google Research');
  assert.equal(google.countryCode, null);
  assert.match(google.countryEvidence, /company known \(Google\), country unknown/);
  const ant = await resolve('Ant Group, Hangzhou, China');
  assert.deepEqual(ant.institutions, [], 'Ant Group has no registry record');
  assert.equal(ant.countryCode, 'CN');
  // A one-word company name that is also a common word counts only on its own or with a company word.
  assert.ok(!(await resolve('Department of Meta Research, University of Tartu')).institutions.some((m) => /^Meta/.test(m.name)));
});

test('company: a group the registry names "X (Country)" is the string\'s "X Inc", "X Ltd"…: the record where the string places it, else the group\'s', { skip }, async () => {
  const written: [string, string, string][] = [
    ['Canon Inc', 'Canon (Japan)', 'JP'],
    ['Fujitsu Ltd', 'Fujitsu (Japan)', 'JP'],
    ['ZTE Corporation Ltd', 'ZTE (China)', 'CN'],
    ['Honeywell International Inc', 'Honeywell (United States)', 'US'],
    ['Lockheed Martin', 'Lockheed Martin (United States)', 'US'],
    ['Infineon Technologies Dresden', 'Infineon Technologies (Germany)', 'DE'],
    ['ZTE USA, Richardson, TX', 'ZTE (United States)', 'US'],
  ];
  for (const [s, name, code] of written) {
    const r = await resolve(s);
    assert.equal(counted(r), name, s);
    assert.equal(r.countryCode, code, s);
  }
  assert.match((await resolve('Canon Inc., Tokyo, Japan')).institutions[0]!.evidence, /"canon" is a registry name \(the registry writes it with its country in brackets\).*place agrees/);
  // Where the registry holds no record of the group, the place wins and the group's record is only possible.
  const brno = await resolve('Honeywell Aerospace, Brno, Czech Republic');
  assert.equal(counted(brno), null);
  assert.equal(brno.countryCode, 'CZ');
  // A legal form of other countries than the group's records' names a company there ("GmbH": DE, AT, CH…), not the group.
  const gmbh = await resolve('Hikvision GmbH');
  assert.equal(counted(gmbh), null);
  assert.match(gmbh.institutions[0]!.evidence, /legal form "GmbH" places it in DE or AT/);
  assert.equal(gmbh.countryCode, null, 'a legal form of several countries gives none');
  // A one-word group name is a proper name only written as one.
  assert.deepEqual((await resolve('canon law studies')).institutions, []);
  // Alone, or before a place only, it is the place or the word ("Avon, CT" is the town): a company word must stand beside it.
  for (const s of ['Avon, CT, USA', 'Avon', 'Fujitsu Kawasaki, Japan']) assert.deepEqual((await resolve(s)).institutions, [], s);
  assert.equal((await resolve('Avon, CT, USA')).countryCode, 'US');
  assert.equal(counted(await resolve('Avon Products Inc, Suffern, NY, USA')), 'Avon (United States)');
});

test('company: "Laboratories", "Labs", "Research" after a group\'s name are its laboratory, counted as the group where the place agrees', { skip }, async () => {
  for (const s of ['Fujitsu Laboratories Ltd., Kawasaki, Japan', 'Fujitsu Research, Kawasaki, Japan']) {
    const r = await resolve(s);
    assert.equal(counted(r), 'Fujitsu (Japan)', s);
    assert.equal(r.institutions[0]!.tier, 'exact', s);
    assert.equal(r.countryCode, 'JP', s);
  }
  // The registry holds no American record of Fujitsu: the laboratory in California is not counted as the Japanese group.
  const america = await resolve('Fujitsu Laboratories of America, Sunnyvale, CA');
  assert.equal(counted(america), null);
  assert.equal(america.countryCode, 'US');
});

test('out-of-registry: the nearest registry name is reported as possible, never counted, and the place still gives the country', { skip }, async () => {
  const nsysu = await resolve('National Sun Yat-sen University, Kaohsiung, Taiwan');
  assert.equal(counted(nsysu), null, 'Sun Yat-sen University in Guangzhou is another university');
  assert.equal(nsysu.institutions[0]?.name, 'Sun Yat-sen University');
  assert.equal(nsysu.institutions[0]?.tier, 'possible');
  assert.equal(nsysu.countryCode, 'TW');
  const hafen = await resolve('HafenCity University Hamburg, Hamburg, Germany');
  assert.equal(counted(hafen), null, 'HafenCity University is not Universität Hamburg');
  assert.equal(hafen.countryCode, 'DE');
});

test('out-of-registry: a registry name that is only the start of a longer name, with rare words after it, is possible and says why', { skip }, async () => {
  for (const s of ['College of integrated Circuit Science and Engineering, Nanjing University of Posts and Telecommunications, Nanjing China', 'Nanjing University of Posts and Telecommunications']) {
    const r = await resolve(s);
    assert.equal(counted(r), null, s);
    assert.equal(r.institutions[0]?.name, 'Nanjing University', s);
    assert.equal(r.institutions[0]?.tier, 'possible', s);
    assert.match(r.institutions[0]!.evidence, /only the start of "nanjing university post telecommunication": "post telecommunication", words rare in registry names and no place, make it another institution's name/, s);
    assert.equal(r.countryCode, 'CN', s);
  }
  // A place, or a unit's words, after the name leave it the institution.
  assert.equal(counted(await resolve('Zhejiang University, Hangzhou')), 'Zhejiang University');
  const tsinghua = await resolve('Tsinghua University Beijing');
  assert.equal(counted(tsinghua), 'Tsinghua University');
  assert.equal(tsinghua.tier, 'exact');
  assert.equal(counted(await resolve('Nanjing University Tongding Joint Laboratory for Large Scale Photonics Integrated Circuits')), 'Nanjing University');
});

test('out-of-registry: a registry name going on with "of", "&"… and common name words is only the start of another name, also abbreviated', { skip }, async () => {
  const cases: [string, string][] = [
    ['Sichuan University of Science and Engineering, Zigong, China', 'of science and engineering'],
    ['Nanjing Univ Posts & Telecommun, Nanjing, Peoples R China', 'posts and telecommun'],
  ];
  for (const [s, goesOn] of cases) {
    const r = await resolve(s);
    assert.equal(counted(r), null, s);
    assert.equal(r.institutions[0]?.tier, 'possible', s);
    assert.match(r.institutions[0]!.evidence, new RegExp(`only the start of .*: it goes on "${goesOn}", name words and no place`), s);
  }
  // The longer name in the registry is that institution; "and" right after a name joins another one.
  assert.equal(counted(await resolve('University of Science and Technology of China')), 'University of Science and Technology of China');
  assert.equal(counted(await resolve('Zhejiang University of Technology')), 'Zhejiang University of Technology');
  assert.equal(counted(await resolve('Zhejiang University and Alibaba Group, Hangzhou')), 'Zhejiang University');
});

test('withdrawn: a withdrawn registry record is at most possible, naming the withdrawal and the successor the registry gives', { skip }, async () => {
  for (const s of ['Lamar State College–Orange', 'Lamar State College Orange, Orange, TX']) {
    const r = await resolve(s);
    assert.equal(counted(r), null, s);
    const m = r.institutions[0]!;
    assert.equal(m.tier, 'possible', s);
    assert.ok(m.score < (await realRegistry()).resolver.calibration.file.cuts.strong, `${s}: score ${m.score}`);
    assert.match(m.evidence, /ROR record 037tfve16 is withdrawn; the registry names its successor 008ms5s18, which is not in the registry loaded: kept as possible/, s);
    assert.equal(r.countryCode, 'US', s);
  }
});

test('withdrawn: a withdrawn record tells no country beside a live one ("University Hospital", withdrawn, in the US)', { skip }, async () => {
  const r = await resolve('Imaging in Neurodegenerative Diseases, University Hospital RWTH Aachen');
  assert.equal(r.countryCode, 'DE');
  assert.doesNotMatch(r.countryEvidence, /University Hospital \(/);
});

test('withdrawn: a withdrawn record with no successor (never an institution) places the string nowhere, nor does the place its name holds', { skip }, async () => {
  const r = await resolve('Madison University');
  assert.equal(r.countryCode, null);
  assert.equal(counted(r), null);
});

test('two countries: names parted by a bare "/" give no country from a possible match of one; a postcode\'s country letters outrank the institution', { skip }, async () => {
  const r = await resolve('Charles University/Rutgers University');
  assert.equal(r.countryCode, null, 'the possible match of the first name does not place the second');
  // Both names are whole registry names, so both are read (the two-names rule), each in its own country.
  assert.match(r.countryEvidence, /institutions in 2 countries and no place: CZ \(Charles University\), US \(Rutgers/);
  assert.equal((await resolve('IMEC, NL-5656 AE Eindhoven')).countryCode, 'NL');
  // A part that is the country alone is the address, though a record elsewhere holds the country in its name.
  assert.equal((await resolve('electricite de France - EdF (France)')).countryCode, 'FR');
  const exeter = await resolve('Univ Exeter, CEMPS, Exeter, Devon');
  assert.equal(exeter.countryCode, 'GB');
  assert.equal(counted(exeter), 'University of Exeter');
});

test('a match a rule keeps at "possible" shows a score under the strong cut, not the calibrated score of the rule that found it', { skip }, async () => {
  const { resolver } = await realRegistry();
  for (const s of ["Huawei Noah's Ark Lab, London, UK", 'IBM Research – Zurich', 'Institute of Pharmacology, Vienna, Austria', 'Nonexistent Robotics GmbH, Hartford, CT', 'Lamar State College–Orange']) {
    const r = await resolve(s);
    assert.ok(r.institutions.length > 0, s);
    for (const m of r.institutions.filter((x) => x.tier === 'possible')) assert.ok(m.score < resolver.calibration.file.cuts.strong, `${s}: ${m.name} possible at score ${m.score}`);
  }
});

test('company: a lab named with a place abroad gives the company and that country, with or without a registry record there', { skip }, async () => {
  const cases: [string, string, string | null, string | null][] = [
    ["Huawei Noah's Ark Lab, London, UK", 'Huawei', 'GB', null],
    ['IBM Research – Zurich', 'IBM', 'CH', null],
    ['Meta AI, Paris', 'Meta', 'FR', null],
    ['IBM Research - Tokyo', 'IBM', 'JP', '04915qk43'],
    ['Meta AI', 'Meta', null, null],
  ];
  for (const [s, company, code, ror] of cases) {
    const r = await resolve(s);
    assert.equal(r.companies?.[0]?.name, company, s);
    assert.equal(r.companies[0]!.countryCode, code, s);
    assert.equal(r.companies[0]!.rorId, ror, s);
    assert.equal(r.countryCode, code, s);
    if (code === null) assert.match(r.companies[0]!.evidence, /^company known, country unknown/, s);
    else if (ror === null) assert.match(r.companies[0]!.evidence, new RegExp(`the registry holds no record of ${company} in ${code}`), s);
  }
});

test('bare name: one word that registry names in one country hold places nothing: a company, a surname, a first name ("Orange", "Cohen", "Giuseppe")', { skip }, async () => {
  for (const word of ['Orange', 'Tesla', 'Bose', 'Mayo', 'Müller', 'Cohen', 'Jones', 'Wright', 'Morgan', 'Watson', 'Evans', 'Fraser', 'Kumar', 'Patel', 'Singh', 'Tanaka', 'Zhou', 'Nguyen', 'Giuseppe', 'Broad', 'Permanente', 'Jade', 'Oy']) {
    const r = await resolve(word);
    assert.equal(r.countryCode, null, `${word}: ${r.countryEvidence}`);
  }
});

test('company: a multinational\'s lab without a place is "company known, country unknown" whichever country record the registry holds ("Philips Research" is not NL); a lab in one country gives it', { skip }, async () => {
  const cases: [string, string, string | null][] = [
    ['Philips Research', 'Philips', null],
    ['Hewlett Packard Labs', 'Hewlett-Packard', null],
    ['Oracle Labs', 'Oracle', null],
    ['Philips Research Hamburg', 'Philips', 'DE'],
    ['Nokia Bell Labs, Murray Hill', 'Nokia', 'US'],
  ];
  for (const [s, company, code] of cases) {
    const r = await resolve(s);
    assert.equal(r.companies?.[0]?.name, company, s);
    assert.equal(r.countryCode, code, s);
    if (code === null) assert.match(r.countryEvidence, new RegExp(`^company known \\(${company}\\), country unknown`), s);
  } // A town in another institution's name is not the lab's site.
  const beside = await resolve('University of Oxford; Meta AI');
  assert.deepEqual(
    beside.companies?.map((c) => [c.name, c.countryCode]),
    [['Meta', null]],
    "Oxford is the university's town, not Meta AI's",
  );
});

test('two institutions in one part: the one written before "and" is read whole; in two countries with no place, no country is guessed', { skip }, async () => {
  const firstNamed: [string, string][] = [
    ['University of Michigan and Google', 'University of Michigan'],
    ['Princeton University and Microsoft', 'Princeton University'],
  ];
  for (const [s, name] of firstNamed) {
    const r = await resolve(s);
    assert.equal(counted(r), name, s);
    assert.equal(r.countryCode, 'US', s);
  }
  assert.equal(counted(await resolve('Nanjing University of Posts and Telecommunications')), null, '"of" goes on with the name; only "and" joins another');
  const two = await resolve('University of Massachusetts Amherst and Microsoft Research Asia');
  assert.equal(two.countryCode, null);
  assert.match(two.countryEvidence, /the string names institutions in 2 countries and no place: US \(University of Massachusetts Amherst\), CN \(Microsoft Research Asia \(China\)\)/);
  // A place named still decides, and a unit with its institution is one place.
  assert.equal((await resolve('University of Massachusetts Amherst and Microsoft Research Asia, Beijing, China')).countryCode, 'CN');
  assert.equal((await resolve('Department of Physics, Harvard University')).countryCode, 'US');
});

test('a unit that is a registry record, written with its institution, is counted: the institution, with the unit kept', { skip }, async () => {
  for (const s of ['Institute of Automation, Chinese Academy of Sciences, Beijing, China', 'Inst Automat, Chinese Acad Sci, Beijing, Peoples R China']) {
    const r = await resolve(s);
    assert.equal(counted(r), 'Chinese Academy of Sciences', s);
    assert.deepEqual(
      r.institutions.find((m) => m.primary)!.units.map((u) => u.name),
      ['Institute of Automation'],
      s,
    );
    assert.equal(r.countryCode, 'CN', s);
  }
});

test('two institutions in one part: two whole registry names joined by "and" or "&" are both counted, each in its own country', { skip }, async () => {
  const both = await resolve('Tsinghua University and University of Oxford');
  const solid = both.institutions.filter((m) => TIER_RANK[m.tier] >= TIER_RANK.strong).map((m) => m.name);
  assert.deepEqual(solid.sort(), ['Tsinghua University', 'University of Oxford']);
  assert.equal(counted(both), 'Tsinghua University', 'the name written first stays primary');
  assert.equal(both.countryCode, null, 'two countries and no place');
  assert.match(both.institutions.find((m) => m.name === 'University of Oxford')!.evidence, /joined by "and" after another registry name/);
  const ampersand = await resolve('Peking University & University of Cambridge');
  assert.ok(ampersand.institutions.some((m) => m.name === 'University of Cambridge' && TIER_RANK[m.tier] >= TIER_RANK.strong));
  // A company after "and" stays the company rule's; a name that only begins the rest is no whole name.
  const google = await resolve('University of Michigan and Google');
  assert.deepEqual(
    google.institutions.filter((m) => TIER_RANK[m.tier] >= TIER_RANK.strong).map((m) => m.name),
    ['University of Michigan'],
  );
  const msra = await resolve('Tsinghua University & Microsoft Research Asia');
  assert.deepEqual(
    msra.institutions
      .filter((m) => TIER_RANK[m.tier] >= TIER_RANK.strong)
      .map((m) => m.name)
      .sort(),
    ['Microsoft Research Asia (China)', 'Tsinghua University'],
  );
});

test('two institutions in one part with nothing between them: both are named, the one written first primary; one name holding another is not split', { skip }, async () => {
  /** Each institution at tier strong or better, the primary first. */
  const solid = async (s: string) =>
    (await resolve(s)).institutions
      .filter((m) => TIER_RANK[m.tier] >= TIER_RANK.strong)
      .sort((a, b) => Number(b.primary) - Number(a.primary))
      .map((m) => m.name);
  // A registry name, then another institution's acronym that one registry institution in its country holds.
  assert.deepEqual(await solid('Harvard University MIT'), ['Harvard University', 'Massachusetts Institute of Technology']);
  assert.deepEqual(await solid('Universidad de Antioquia UNAL'), ['Universidad de Antioquia', 'Universidad Nacional de Colombia']);
  assert.deepEqual(await solid('Sorbonne University INSERM CNRS'), ['Sorbonne Université', 'Inserm', 'Centre National de la Recherche Scientifique']);
  assert.deepEqual(await solid('Universidad Nacional del Litoral-CONICET'), ['Universidad Nacional del Litoral', 'Consejo Nacional de Investigaciones Científicas y Técnicas']);
  const mit = (await resolve('Harvard University MIT')).institutions.find((m) => m.name === 'Massachusetts Institute of Technology')!;
  assert.equal(mit.primary, false);
  assert.match(mit.evidence, /"MIT" after "harvard university" is the acronym of Massachusetts Institute of Technology, the only registry institution in US that holds it/);
  // Two whole registry names written one after the other.
  assert.deepEqual(await solid('Harvard University Massachusetts Institute of Technology'), ['Harvard University', 'Massachusetts Institute of Technology']);
  assert.deepEqual(await solid('Tsinghua University Peking University'), ['Tsinghua University', 'Peking University']);
  // Not split: a name holding another's ("University of Texas" + "MD Anderson"), a unit written with its parent, the
  // name's own acronym, half of a slashed acronym, and the parent's acronym after a unit.
  assert.deepEqual(await solid('University of Texas MD Anderson Cancer Center'), ['The University of Texas MD Anderson Cancer Center']);
  assert.deepEqual(await solid('European Molecular Biology Laboratory–European Bioinformatics Institute'), ['European Bioinformatics Institute']);
  assert.deepEqual(await solid('Sichuan University SCU'), ['Sichuan University']);
  assert.deepEqual(await solid('Centro de Física de Materiales CFM  CSIC UPV/EHU'), ['Material Physics Center']);
  assert.deepEqual(await solid('Instituto de Ciencia de Materiales de Madrid  ICMM CSIC'), ['Instituto de Ciencia de Materiales de Madrid']);
  // A place in capitals is no acronym ("USA" is also the University of South Alabama's).
  assert.deepEqual(await solid('Harvard University USA'), ['Harvard University']);
});

test('names joined by "and": each side is read as its own part, three names, a name the registry writes longer, each side with its own address', { skip }, async () => {
  const solid = (r: Resolution) =>
    r.institutions
      .filter((m) => TIER_RANK[m.tier] >= TIER_RANK.strong)
      .map((m) => m.name)
      .sort();
  const three = await resolve('Tsinghua University and University of Oxford and ETH Zurich');
  assert.deepEqual(solid(three), ['ETH Zurich', 'Tsinghua University', 'University of Oxford']);
  assert.equal(counted(three), 'Tsinghua University', 'the name written first stays primary');
  assert.equal(three.countryCode, null);
  assert.match(three.countryEvidence, /institutions in 3 countries and no place: CN \(Tsinghua University\), GB \(University of Oxford\), CH \(ETH Zurich\)/);
  assert.deepEqual(solid(await resolve('Johns Hopkins University and Tsinghua University and Peking University')), ['Johns Hopkins University', 'Peking University', 'Tsinghua University']);
  // The registry writes "University of Maryland, College Park": the side is no whole registry name, but read alone it is exact.
  const maryland = await resolve('University of Maryland and Tsinghua University');
  assert.deepEqual(solid(maryland), ['Tsinghua University', 'University of Maryland, College Park']);
  assert.equal(maryland.countryCode, null, 'two countries and no place');
  assert.match(maryland.institutions.find((m) => m.name === 'Tsinghua University')!.evidence, /read in "Tsinghua University", one side of "and"/);
  // Each side with its own address: two places, two countries, no single country.
  const addressed = await resolve('Tsinghua University, Beijing, China and University of Oxford, Oxford, UK');
  assert.deepEqual(solid(addressed), ['Tsinghua University', 'University of Oxford']);
  assert.equal(addressed.countryCode, null);
  assert.match(addressed.countryEvidence, /placed in 2 countries: CN \(Tsinghua University\), GB \(University of Oxford\)/);
  // An address after the last name only is the whole string's, as for "… and Microsoft Research Asia, Beijing, China".
  const shared = await resolve('University of Oxford and Tsinghua University, Beijing, China');
  assert.deepEqual(solid(shared), ['Tsinghua University', 'University of Oxford']);
  assert.equal(shared.countryCode, 'CN');
  const lab = await resolve("Tsinghua University and Huawei Noah's Ark Lab, London");
  assert.deepEqual(solid(lab), ['Tsinghua University']);
  assert.deepEqual(
    lab.companies?.map((c) => [c.name, c.countryCode]),
    [['Huawei', 'GB']],
  );
  // A side that names nothing solidly on its own means the "and" was inside one name, or joins a place.
  const oneName: [string, string][] = [
    ['University of Science and Technology of China', 'University of Science and Technology of China'],
    ['Beijing Institute of Technology and Beijing', 'Beijing Institute of Technology'],
    ['Department of Physics and Astronomy, Rice University', 'Rice University'],
  ];
  for (const [s, name] of oneName) {
    const r = await resolve(s);
    assert.deepEqual(solid(r), [name], s);
  }
  assert.equal((await resolve('University of Georgia and Tbilisi State University')).countryCode, 'GE', 'both sides in one country');
});

test('a college or lab written before the institution in one part is a unit of it; a proper name before it makes a longer name', { skip }, async () => {
  for (const s of ['College of Optical Science and Engineering Zhejiang University', 'Lab of Intelligent Systems Zhejiang University']) {
    const primary = (await resolve(s)).institutions.find((m) => m.primary)!;
    assert.equal(primary.name, 'Zhejiang University', s);
    assert.equal(primary.basis.how, 'inside-unit', s);
  }
  const sharif = (await resolve('Electrical Engineering Department of Sharif University of Technology')).institutions.find((m) => m.primary)!;
  assert.equal(sharif.basis.how, 'inside-glued', 'Sharif University of Technology is not the "University of Technology"');
});

test('every hand-checked string of bench/labelled/failure-classes.csv names a registry record that exists, and says why', { skip }, async () => {
  const { resolver } = await realRegistry();
  const items = await readFailureClasses(FAILURE_CLASSES);
  assert.ok(items.length >= 100);
  for (const item of items) {
    for (const id of item.gold) assert.ok(resolver.institution(id), `${item.affiliation}: ${id} is not in the registry`);
    assert.ok(item.reason && item.reason.length > 5, `${item.affiliation}: no reason`);
  }
  assert.deepEqual([...new Set(items.map((i) => i.group))].sort(), ['company', 'explicit-country', 'namesake-unit', 'noise', 'out-of-registry', 'place-name', 'second-institution', 'us-state', 'wos-abbreviated']);
});

test('fuzzy-city: a word where the record\'s city should be is not the city left out, even if the record names "university" twice', { skip }, async () => {
  for (const s of ['Tallinn Technical University', 'Xyzzy Technical University']) {
    const r = await resolve(s);
    assert.equal(counted(r), null, s);
    assert.ok(!r.institutions.some((m) => m.name === 'TU Dortmund University'), `${s}: not TU Dortmund University`);
    assert.notEqual(r.countryCode, 'DE', s);
  }
  assert.equal(counted(await resolve('Radboud University')), 'Radboud University Nijmegen', 'a university without its city still is');
});

test('place-name: a city alone in an address part after an organisation is the address, not the record that has it as an alias', { skip }, async () => {
  for (const [s, employer] of [
    // A group's one-word name followed only by places is no company without a company word ("Avon, CT" is a town).
    ['Sanofi, Lyon, France', null],
    ['Acme Robotics SAS, Lyon, France', null],
  ] as const) {
    const r = await resolve(s);
    assert.equal(counted(r), employer, s);
    assert.ok(
      r.institutions.filter((m) => m.name !== employer).every((m) => m.tier === 'possible' && /"lyon" is the place the string names/.test(m.evidence)),
      s,
    );
    assert.equal(r.countryCode, 'FR', s);
  }
});

test('evidence: a fuzzy match among ties names the record chosen, not another tie', { skip }, async () => {
  const m = (await resolve('Technische Universität; Braunschweig Germany')).institutions.find((x) => x.primary)!;
  assert.equal(m.name, 'Technische Universität Braunschweig');
  assert.match(m.evidence, /"Technische Universität Braunschweig" without its city/);
});

test('every documented country label error has its right country and reason; the bench corrects exactly the strings listed, as labelled', async () => {
  const errors = await readCountryLabelErrors(fileURLToPath(new URL('../../bench/labelled/country-label-errors.csv', import.meta.url)));
  assert.ok(errors.length > 0);
  for (const e of errors) assert.ok(e.reason.length > 20 && e.right.join(';') !== e.gold.join(';'), e.affiliation);
  const items = [
    { affiliation: 'INRIA', gold: [], institutionsLabelled: false, countries: ['CL'] },
    { affiliation: 'Inria', gold: [], institutionsLabelled: false, countries: ['FR'] },
  ];
  const { items: corrected, corrected: n } = withCountryGoldCorrected(
    'openalex CS venues 2024',
    items,
    errors.filter((e) => e.affiliation === 'INRIA'),
  );
  assert.equal(n, 1);
  assert.deepEqual(
    corrected.map((i) => i.countries),
    [['FR'], ['FR']],
  );
  assert.throws(() => withCountryGoldCorrected('openalex CS venues 2024', [{ ...items[0]!, countries: ['US'] }], errors), /"INRIA" in openalex CS venues 2024 is labelled US, not CL as listed/);
  assert.throws(
    () =>
      withCountryGoldCorrected(
        'openalex CS venues 2024',
        [],
        errors.filter((e) => e.affiliation === 'INRIA'),
      ),
    /not in openalex CS venues 2024: "INRIA"/,
  );
});

test("a shortened name only one registry name reads as stays possible but gives that record's country", { skip }, async () => {
  for (const [s, name, code] of [
    ['Weizmann Institute', 'Weizmann Institute of Science', 'IL'],
    ['Ben Gurion University', 'Ben-Gurion University of the Negev', 'IL'],
  ] as const) {
    const r = await resolve(s);
    assert.equal(counted(r), null, s);
    assert.equal(r.institutions[0]?.name, name, s);
    assert.equal(r.countryCode, code, s);
    assert.match(r.countryEvidence, new RegExp(`everything the string names is in ${code}`), s);
  }
});

test('place-name: a campus "at" a country abroad is there; a place read in a name says nothing against an institution named elsewhere', { skip }, async () => {
  const qatar = await resolve('Texas A&M University at Qatar');
  assert.equal(qatar.countryCode, 'QA');
  assert.equal(counted(qatar), null, 'the Qatar campus is not the US university');
  assert.equal((await resolve('University of Texas at Austin')).countryCode, 'US', 'a city after "at" stays the name');
  // "Franklin" (a town in the US) inside a person's name beside the Charité (DE): no country, never the US.
  const charite = await resolve('Charité Campus Benjamin Franklin');
  assert.notEqual(charite.countryCode, 'US');
  assert.match(charite.countryEvidence, /Charité/);
  // A place in capitals before a registry name is that longer name's place, not an acronym: Japan, not Sudan.
  const toyohashi = await resolve('TOYOHASHI University of Technology');
  assert.equal(toyohashi.countryCode, 'JP');
  assert.equal(counted(toyohashi), null);
});

test("two countries: a place written in the part that names a lab is the lab's; an institution in another part elsewhere leaves the string with no country", { skip }, async () => {
  const r = await resolve('UT Austin, MSR Asia Shanghai');
  assert.equal(r.countryCode, null);
  assert.match(r.countryEvidence, /written in the part naming Microsoft Research Asia; The University of Texas at Austin \(US\)/);
  assert.equal((await resolve('Department of CS, Tsinghua University, Microsoft Research Asia, Beijing')).countryCode, 'CN', 'both in China');
});

test('company: companies of CS venues are resolved ("Netflix", "NTT Research" is not the registry\'s NTT in Germany); a subject word is no alias', { skip }, async () => {
  assert.equal((await resolve('Netflix')).countryCode, 'US');
  const ntt = await resolve('NTT Research');
  assert.equal(ntt.countryCode, 'US');
  assert.deepEqual(
    ntt.companies?.map((c) => [c.name, c.lab]),
    [['Nippon Telegraph and Telephone', 'NTT Research']],
  );
  const adobe = await resolve('Adobe Research');
  assert.equal(adobe.countryCode, null);
  assert.match(adobe.countryEvidence, /company known \(Adobe\), country unknown/);
  const maths = await resolve('Mathematics');
  assert.deepEqual(maths.institutions, [], '"iMath", the Toulon institute\'s alias, is not the subject');
  assert.equal(maths.countryCode, null);
});

test('acronym-beside: a funder, a learned society or a ministry written as a bare acronym beside a name is a grant or a membership, not a second institution', { skip }, async () => {
  /** Each institution at tier strong or better. */
  const solid = async (s: string) => (await resolve(s)).institutions.filter((m) => TIER_RANK[m.tier] >= TIER_RANK.strong).map((m) => m.name);
  for (const [s, name] of [
    ['Harvard University IEEE', 'Harvard University'],
    ['Tsinghua University NSFC', 'Tsinghua University'],
    ['Zhejiang University MOE', 'Zhejiang University'],
    ['Harvard University NIH', 'Harvard University'],
    ['Harvard University HHMI', 'Harvard University'],
  ] as const)
    assert.deepEqual(await solid(s), [name], s);
  // Bodies whose units the registry shows run jointly with universities, and schools, stay.
  assert.deepEqual(await solid('Universidad Nacional del Litoral-CONICET'), ['Universidad Nacional del Litoral', 'Consejo Nacional de Investigaciones Científicas y Técnicas']);
  assert.deepEqual(await solid('Harvard University MIT'), ['Harvard University', 'Massachusetts Institute of Technology']);
});

test('place-name: a place after or around a name is read at home first; "at" a country word that is also a town at home gives no country abroad', { skip }, async () => {
  // The place after a name is read in match tokens ("athen"): the US state's Athens is the University of Georgia's own city.
  for (const s of ['University of Georgia Athens', 'University of Georgia, Athens']) {
    const r = await resolve(s);
    assert.equal(r.countryCode, 'US', s);
    assert.equal(counted(r), 'University of Georgia', s);
  }
  // A registry name inside a longer name that holds a place is only where that place may be.
  for (const s of ['University of West Georgia', 'University of West Georgia, Carrollton, GA, USA']) {
    const r = await resolve(s);
    assert.notEqual(r.countryCode, 'SE', s);
    assert.ok(!r.institutions.some((m) => m.rorId === '0257kt353'), `${s}: not University West (SE)`);
  }
  for (const s of ['Toyohashi University of Technology', 'TOYOHASHI University of Technology']) {
    const r = await resolve(s);
    assert.equal(r.countryCode, 'JP', s);
    assert.ok(!r.institutions.some((m) => m.rorId === '04amnxx84'), `${s}: not the Sudanese University of Technology`);
  }
  // "at Lebanon", "at Jordan": US towns bear these names; never the country abroad.
  for (const s of ['Penn State University at Lebanon', 'Indiana University at Jordan']) {
    const r = await resolve(s);
    assert.ok(r.countryCode === null || r.countryCode === 'US', `${s}: ${r.countryCode}`);
  }
  assert.equal((await resolve('Texas A&M University at Qatar')).countryCode, 'QA', 'a country word no town bears is still the campus abroad');
});

/** Every institution the counts take from a string (tier strong or better), by name. */
const countedAll = async (s: string) => (await resolve(s)).institutions.filter((m) => TIER_RANK[m.tier] >= TIER_RANK.strong).map((m) => m.name);

test('second-institution: a number written with a name is part of it ("Univ Paris 06" is not Université Paris 8, "INSERM U1216" not the unit INSERM U 1195)', { skip }, async () => {
  const paris6 = await countedAll('Sorbonne Université, UPMC Univ Paris 06, INSERM, CNRS');
  assert.ok(paris6.includes('Sorbonne Université'), paris6.join('; '));
  assert.ok(!paris6.includes('Université Paris 8'), paris6.join('; '));
  assert.deepEqual(await countedAll('Université Grenoble Alpes, INSERM, U1216, Grenoble Institut des Neurosciences'), ['Université Grenoble Alpes', 'Inserm']);
  // The number the registry writes still finds its holder, and a name written without one the holder that has none.
  assert.equal(counted(await resolve('Univ Paris 8, Saint-Denis')), 'Université Paris 8');
  assert.equal(counted(await resolve('INSERM U 1195')), 'Maladies et hormones du système nerveux');
  assert.equal(counted(await resolve('Université de Paris')), 'Université Paris Cité');
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 99 }).filter((n) => n !== 8),
      fc.boolean(),
      async (n, padded) => {
        const names = await countedAll(`Université Paris ${padded && n < 10 ? `0${n}` : n}`);
        assert.ok(!names.includes('Université Paris 8'), `Paris ${n}: ${names.join('; ')}`);
      },
    ),
    { numRuns: 40 },
  );
});

test("second-institution: a company the registry writes with its country in brackets is not read from a unit's subject words", { skip }, async () => {
  for (const [s, name] of [
    ['MOE Key Laboratory of Protein Sciences, Tsinghua University', 'Tsinghua University'],
    ['Department of Applied Physical Sciences, University of North Carolina at Chapel Hill', 'University of North Carolina at Chapel Hill'],
    ['Center for Neurogenetics and Cognitive Research, Universidad de Chile', 'University of Chile'],
    ['Center for Molecular and Cellular Signaling in the Cardiovascular System, University of Nevada, Reno', 'University of Nevada, Reno'],
    // "Group" after the subject words is a research group, not the company's own word.
    ['Photonic Systems Group, University College Cork', 'University College Cork'],
    ['Benchmark Research Group, Delft University of Technology', 'Delft University of Technology'],
  ] as const)
    assert.deepEqual(await countedAll(s), [name], s);
  // Written with a company word, the company is meant.
  assert.equal(counted(await resolve('Cognitive Research Corporation')), 'Cognitive Research (United States)');
});

test('acronym: an acronym written with a hyphen where the registry writes a space ("AGH-UST", "AGH UST") is the same acronym', { skip }, async () => {
  const r = await resolve('AGH-UST');
  assert.equal(r.countryCode, null, 'an acronym alone decides no country');
  assert.match(r.countryEvidence, /every registry holder of the acronym "AGH-UST" is in PL/);
});

test('second-institution: a university written before a body that runs joint units with universities (Inserm, CNRS) stays the primary', { skip }, async () => {
  for (const [s, university] of [
    ['Aix-Marseille University, INSERM, Marseille', 'Aix-Marseille Université'],
    ['Univ. Lille, Inserm', 'Université de Lille'],
  ] as const) {
    assert.equal(counted(await resolve(s)), university, s);
    assert.ok((await countedAll(s)).includes('Inserm'), `${s}: Inserm is still counted`);
  }
  // Written first, the body is the primary; a university written after it is named alongside.
  assert.equal(counted(await resolve('INSERM, Aix-Marseille University')), 'Inserm');
});

test("second-institution: a number set off before a comma that no holder of the name has is a footnote mark, not the name's number", { skip }, async () => {
  assert.equal(counted(await resolve('Inserm 12 , Gif-sur-Yvette, France')), 'Inserm');
  assert.equal(counted(await resolve('Phymedexp INSERM, CNRS, University of Montpellier 3 , Montpellier, France')), 'Université de Montpellier');
  // A number some holder has stays its number, set off or not; written into the name it stays no footnote.
  assert.equal(counted(await resolve('Univ Paris 8 , Saint-Denis')), 'Université Paris 8');
  assert.equal(counted(await resolve('Université Paris 12')), null);
});

test("place-name: a university's registry name written without its town is it where no other record reads so and no other town is named; else not", { skip }, async () => {
  const hebrew = await resolve('Institute of Environmental Sciences, Hebrew University');
  assert.equal(counted(hebrew), 'Hebrew University of Jerusalem', 'not the Japanese institute of that subject');
  assert.equal(hebrew.countryCode, 'IL');
  assert.match(hebrew.institutions.find((m) => m.primary)!.evidence, /"Hebrew University" is "Hebrew University of Jerusalem" without its town, and no other registry name reads so/);
  // "Purdue University" is also Purdue University in Indianapolis without its town: not told apart, not counted.
  assert.equal(counted(await resolve('Department of Psychological Sciences, Purdue University')), null);
  // Written with another town, the name is not the university in Jerusalem.
  for (const s of ['Institute of Environmental Sciences, Hebrew University, Haifa', 'Hebrew University of Haifa']) assert.ok(!(await resolve(s)).institutions.some((m) => m.name === 'Hebrew University of Jerusalem'), s);
});

test('second-institution: a university\'s acronym joined by "and" to a university in another country gives no single country; nothing is merged', { skip }, async () => {
  const eth = await resolve('ETH Zürich and BUPT');
  assert.deepEqual(await countedAll('ETH Zürich and BUPT'), ['ETH Zurich']);
  assert.equal(eth.countryCode, null);
  assert.match(eth.countryEvidence, /institutions in 2 countries and no place: CH \(ETH Zurich\), CN \("BUPT", the acronym of Beijing University of Posts and Telecommunications, joined by "and"\)/);
  assert.equal((await resolve('Tsinghua University and BUPT')).countryCode, 'CN', 'both in China');
  // A research team's letters ("TTIC", a French team) are no second institution beside a university.
  assert.equal((await resolve('University of Chicago and TTIC')).countryCode, 'US');
  // Purdue, which the registry holds only with its town, is not merged into the University of Michigan written after it.
  const purdue = await resolve('Purdue University and University of Michigan');
  assert.deepEqual(await countedAll('Purdue University and University of Michigan'), []);
  assert.equal(purdue.countryCode, 'US', 'both in the US');
});

test('acronym: an acronym whose registry holders are all in another country than the place the string names is not read ("TTIC" in Chicago)', { skip }, async () => {
  for (const s of ['Toyota Technological Institute at Chicago (TTIC)', 'Toyota Technological Institute at Chicago, TTIC']) {
    const r = await resolve(s);
    assert.equal(r.countryCode, 'US', s);
    assert.deepEqual(r.institutions, [], s);
    assert.match(r.countryEvidence, /the acronym "TTIC" is held in the registry only in FR, not where the string places it \(US\): not read/, s);
  }
  // Where the string places it, the holder is still found.
  assert.equal((await resolve('TTIC, Paris')).institutions[0]?.name, 'Transplantation et Thérapies Innovantes de la Cornée');
});

test('acronym: an acronym spelling the initials of the name written before it is that name\'s own; the town in the name places the string ("Triesdorf (ART)")', { skip }, async () => {
  // OpenAlex doi:10.1007/978-3-662-58656-3, a German-only book: the registry's only "ART" holders are in the US.
  const r = await resolve('Forschungsgruppe Agrar- und Regionalentwicklung Triesdorf (ART)');
  assert.equal(r.countryCode, 'DE');
  assert.deepEqual(r.institutions, []);
  assert.match(r.countryEvidence, /"triesdorf", a place in DE, is named inside a part of the string/);
  assert.match(r.countryEvidence, /the acronym "ART" spells the initials of "Forschungsgruppe Agrar- und Regionalentwicklung Triesdorf", written before it, so it is that name's own, not the registry's holders' in US: not read/);
  // Letters that are not the name's initials stay corroborating evidence ("KAIST" beside "Korea Advanced Inst Sci").
  assert.equal((await resolve('Korea Advanced Inst Sci, KAIST')).countryCode, 'KR');
});

test("place-name: a city's older English name places the string; one another country's town bears decides nothing alone", { skip }, async () => {
  for (const [s, code] of [
    ['Glorp Institute, Bangalore', 'IN'],
    ['Glorp Institute, Bombay', 'IN'],
    ['Glorp Institute, Madras', 'IN'],
    ['Glorp Institute, Calcutta', 'IN'],
    ['Glorp Institute, Poona', 'IN'],
    ['Glorp Institute, Saigon', 'VN'],
    ['Glorp Institute, Peking', 'CN'],
    ['Glorp Institute, Rangoon', 'MM'],
  ] as const)
    assert.equal((await resolve(s)).countryCode, code, s);
  // Canton is Guangzhou, and towns in Ohio and New York: another place, or the institution, decides.
  assert.equal((await resolve('Glorp Institute, Canton')).countryCode, null);
  assert.equal((await resolve('Glorp Institute, Canton, Ohio')).countryCode, 'US');
  assert.equal((await resolve('Sun Yat-sen University, Canton')).countryCode, 'CN');
  // A company's record is where its headquarters are; the place named is where the author works.
  const ti = await resolve('Texas Instruments Inc, Bangalore');
  assert.equal(ti.countryCode, 'IN');
  assert.equal(counted(ti), null, 'the registry holds Texas Instruments only in the US: kept as possible');
});

test('place-name: "Saint Louis" and "St. Louis" are one town\'s name, so a French Saint-Louis does not place "Saint Louis University"', { skip }, async () => {
  const r = await resolve('Saint Louis University');
  assert.notEqual(r.countryCode, 'FR');
  assert.equal(r.countryCode, 'US', 'the registry holds far more institutions in St. Louis, MO than in Saint-Louis, Haut-Rhin');
  assert.equal((await resolve('Department of Biology, Saint Louis University')).countryCode, 'US');
  assert.equal((await resolve('Glorp Institute, Saint-Louis, France')).countryCode, 'FR');
});

test('explicit-country: a country named against the town in the institution\'s own name ("Universität Graz, Deutschland") names two countries: none is given, the match stays possible, and the evidence says so', { skip }, async () => {
  for (const [s, name, town] of [
    ['Universität Graz, Deutschland', 'University of Graz', 'graz'],
    ['Universität Basel, Deutschland', 'University of Basel', 'basel'],
    // A place written after a second name joined by "and" is that one's address, not the first's.
    ['ETH Zürich and BUPT, Beijing', 'ETH Zurich', 'zurich'],
  ] as const) {
    const r = await resolve(s);
    assert.equal(r.countryCode, null, s);
    assert.equal(counted(r), null, s);
    assert.equal(r.institutions[0]?.name, name, s);
    assert.equal(r.institutions[0]?.tier, 'possible', s);
    assert.match(r.countryEvidence, new RegExp(`"${town}", written in the name of ${name}, is in [A-Z]{2}: the string names two countries`), s);
  }
  // A town of the country named, written beside the name, is a campus's address; the town written again as an address is the address.
  assert.equal((await resolve('Univ Nottingham, Ningbo, China')).countryCode, 'CN');
  assert.equal((await resolve('Univ Southampton Malaysia, Dept Elect & Elect Engn, Iskandar Puteri 79100, Malaysia')).countryCode, 'MY');
  assert.equal((await resolve('Univ Puerto Rico Bayamon, Dpartment Comp Sci, Bayamon, PR 00959 USA')).countryCode, 'US');
  assert.equal((await resolve('Tsinghua University and BUPT, Beijing')).countryCode, 'CN');
});

test('second-institution: a short unit name read inside a longer one ("Institute of Neuroscience and Medicine") is another unit of that name and places nothing', { skip }, async () => {
  for (const s of ['Institute of Neuroscience and Medicine, Structural and functional organisation of the brain (INM-1)', 'Consejo Nacl Invest Cient & Tecn, Inst Estudios Avanzados Ingn & Tecnol IDIT, Av Velez Sarsfield 1611, Cordoba']) {
    const r = await resolve(s);
    assert.equal(r.countryCode, null, s);
    assert.ok(
      r.institutions.every((m) => m.tier === 'possible'),
      s,
    );
  }
  // A registry name read inside a longer proper name still tells its country.
  assert.equal((await resolve('Nanjing University of Posts and Telecommunications')).countryCode, 'CN');
});

test('place-name: a town named after "of" that is also a region of another country ("…of Goa") places nothing', { skip }, async () => {
  const goa = await resolve('National Institute of Oceanography of Goa');
  assert.equal(goa.countryCode, null, 'Goa is a state of India and a town in the Philippines');
  assert.equal((await resolve('Universität Bochum')).countryCode, 'DE');
});

test('out-of-registry (round 50): a name the registry also gives to units in several other countries is not counted for its loaded record, and gives no country', { skip }, async () => {
  for (const [s, loaded] of [
    ['Laboratory of Brain and Cognition, National Institute of Mental Health', 'National Institute of Mental Health'],
    ['Institute of Molecular Biology', 'Institute of Molecular Biology'],
  ] as const) {
    const r = await resolve(s);
    assert.equal(counted(r), null, s);
    assert.ok(
      r.institutions.some((m) => m.name === loaded && m.tier === 'possible' && /also names .* as a unit of/.test(m.evidence)),
      s,
    );
    assert.equal(r.countryCode, null, s);
  }
  // One namesake abroad (the Canadian CIHR names a unit so) leaves the London institute counted.
  assert.equal(counted(await resolve('The Institute of Cancer Research')), 'Institute of Cancer Research');
});

test("out-of-registry (round 50): a registry name read inside a unit's words, before a hospital the registry lacks, is not counted", { skip }, async () => {
  const r = await resolve("Molecular Cardiovascular Biology Division and Heart Institute, Cincinnati Children's Hospital Medical Center");
  assert.equal(counted(r), null);
  assert.notEqual(r.countryCode, 'BR');
});

test("out-of-registry (round 50): a unit's name written with an acronym held only in other countries is not counted", { skip }, async () => {
  const r = await resolve('Institute of Neuroscience, CNR');
  assert.equal(counted(r), null);
  assert.notEqual(r.countryCode, 'CH');
});

test('explicit-country (round 50): a name extended to the one institution of that name in the country is not read in another region than the string names', { skip }, async () => {
  const r = await resolve('Governmetn of Saskatchewan - Ministry of Agriculture - Agricultre Development Fund');
  assert.equal(counted(r), null);
  assert.equal(r.countryCode, 'CA');
  assert.equal(counted(await resolve('Ministry of Agriculture, Quebec, Canada')), "Ministère de l'Agriculture, des Pêcheries et de l'Alimentation");
});
