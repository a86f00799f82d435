import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Gazetteer } from '../../src/resolve/gazetteer.ts';

const registryPlaces = [
  { countryCode: 'US', countryName: 'United States', city: 'Boston' },
  // Cities that share a name across countries, as the registry has them.
  { countryCode: 'GR', countryName: 'Greece', city: 'Athens' },
  { countryCode: 'GR', countryName: 'Greece', city: 'Athens' },
  { countryCode: 'US', countryName: 'United States', city: 'Athens' },
  { countryCode: 'RU', countryName: 'Russia', city: 'Moscow' },
  { countryCode: 'RU', countryName: 'Russia', city: 'Moscow' },
  { countryCode: 'US', countryName: 'United States', city: 'Moscow' },
  { countryCode: 'BR', countryName: 'Brazil', city: 'Cuiabá' },
  { countryCode: 'DE', countryName: 'Germany', city: 'Berlin' },
  { countryCode: 'US', countryName: 'United States', city: 'Columbia' },
  { countryCode: 'US', countryName: 'United States', city: 'Norfolk' },
  { countryCode: 'IT', countryName: 'Italy', city: 'Milan' },
  { countryCode: 'CN', countryName: 'China', city: 'Shenzhen' },
  { countryCode: 'US', countryName: 'United States', city: 'Atlanta' },
  { countryCode: 'ES', countryName: 'Spain', city: 'Barcelona' },
  { countryCode: 'GE', countryName: 'Georgia', city: 'Tbilisi' },
  { countryCode: 'CN', countryName: 'China', city: 'Wuhan' },
  { countryCode: 'HK', countryName: 'Hong Kong', city: 'Kowloon' },
  { countryCode: 'GB', countryName: 'United Kingdom', city: 'Cambridge' },
  { countryCode: 'US', countryName: 'United States', city: 'Cambridge' },
  { countryCode: 'CN', countryName: 'China', city: 'Anyang' },
  { countryCode: 'US', countryName: 'United States', city: 'St Louis' },
  { countryCode: 'CA', countryName: 'Canada', city: 'Surrey' },
  { countryCode: 'IN', countryName: 'India', city: 'Chennai' },
  { countryCode: 'BE', countryName: 'Belgium', city: 'Leuven' },
  { countryCode: 'IT', countryName: 'Italy', city: 'Rome' },
  { countryCode: 'PL', countryName: 'Poland', city: 'Wroclaw' },
  { countryCode: 'FR', countryName: 'France', city: 'Strasbourg' },
  { countryCode: 'EG', countryName: 'Egypt', city: 'Cairo' },
  { countryCode: 'ET', countryName: 'Ethiopia', city: 'Bahir Dar' },
  { countryCode: 'FR', countryName: 'France', city: 'Paris' },
  { countryCode: 'DE', countryName: 'Germany', city: 'Hannover' },
];
const gazetteer = new Gazetteer(registryPlaces);
const country = (s: string) => gazetteer.detect(s).countryCode;

test('a country named inside an institution name is not the country ("Beth Israel" is in Boston)', () => {
  assert.equal(country('Beth Israel Deaconess Medical Center, Boston, MA'), 'US');
  assert.equal(country('Department of Medicine, Beth Israel Deaconess Medical Center, Harvard Medical School, Boston, MA 02215, USA'), 'US');
});

test('a street named Palau is in Barcelona', () => {
  assert.equal(country('Hospital de la Santa Creu i Sant Pau, Carrer de Sant Quintí 89, Carrer de Palau, 08041 Barcelona'), 'ES');
  assert.equal(country('Institut de Ciències del Cosmos, Carrer Palau 4, Barcelona, Spain'), 'ES');
});

test('Georgia the US state and Georgia the country are told apart by the rest of the string', () => {
  assert.equal(country('Georgia Institute of Technology, Atlanta, Georgia, USA'), 'US');
  assert.equal(country('Georgia Inst Technol, Atlanta, GA 30332 USA'), 'US');
  assert.equal(country('Emory University, Atlanta, Georgia'), 'US');
  assert.equal(country('Ivane Javakhishvili Tbilisi State University, Tbilisi, Georgia'), 'GE');
  // Nothing but the institution tells here; the resolver takes its country (see matcher tests), the gazetteer does not guess.
  assert.equal(country('Georgian Technical University, 0175, Georgia'), null);
});

test('Hong Kong, Macao and Taiwan are kept apart from mainland China', () => {
  assert.equal(country('Hong Kong Univ Sci & Technol, Dept Elect Engn, Kowloon, Hong Kong, Peoples R China'), 'HK');
  assert.equal(country('Univ Macau, Taipa, Macao, Peoples R China'), 'MO');
  assert.equal(country('National Taiwan University, Taipei, Taiwan'), 'TW');
  assert.equal(country('Huazhong Univ Sci & Technol, Wuhan 430074, Peoples R China'), 'CN');
  assert.equal(country('香港中文大学'), 'HK');
  assert.equal(country('中国科学院自动化研究所，北京'), 'CN');
});

test('a US city with a state and ZIP outranks any earlier part ("Norfolk, VA", "Angola, IN")', () => {
  assert.equal(country('Norfolk State Univ, Dept Elect Engn, Norfolk, VA 23504 USA'), 'US');
  assert.equal(country('Trine Univ, Angola, IN 46703 USA'), 'US');
});

test('a country glued to the previous word or at the end of a comma-free string is found', () => {
  assert.equal(country('Technische Universität BerlinGermany'), 'DE');
  assert.equal(country('University of Oxford United Kingdom'), 'GB');
});

test('a city that stands for one country decides; an ambiguous one does not', () => {
  assert.equal(country('Huazhong University of Science and Technology, Wuhan'), 'CN');
  assert.equal(country('Department of Physics, Cambridge'), null);
});

test('names in other languages (CLDR) count', () => {
  assert.equal(country('Technische Universität München, München, Deutschland'), 'DE');
  assert.equal(country('Université Paris-Saclay, Orsay, France'), 'FR');
});

test('a US state written as its postal code ends the address, with or without a ZIP code', () => {
  assert.equal(country('Department of Electrical Engineering, Princeton University, Princeton, NJ'), 'US');
  assert.equal(country('Florida State University Panama City, Panama City, FL 32405'), 'US');
  assert.equal(country('University of Delaware, Newark, DE 19716'), 'US');
  assert.equal(country('Indiana University Bloomington, Bloomington, IN'), 'US');
  assert.equal(country('Stevens Institute of Technology, Hoboken NJ 07030'), 'US');
});

test('a city abroad that shares its name with a US town does not outrank the state after it', () => {
  assert.equal(country('School of Computing, University of Georgia, Athens, GA'), 'US');
  assert.equal(country('University of Idaho, Moscow, ID'), 'US');
  // Alone, a city the registry has in two countries decides nothing.
  assert.equal(country('Some Institute, Athens'), null);
});

test('a code after a city of another country is that country, not a US state', () => {
  assert.equal(country('Universidade Federal de Mato Grosso, Cuiabá, MT'), 'BR');
  assert.equal(country('Some Company, Berlin, DE'), 'DE');
  assert.equal(country('Univ Milan, Dipartimento Informat, Via Celoria 18, I-20133 Milan, MI'), 'IT');
});

test('a state or province is read before a country its name contains', () => {
  // Inside an institution's name ("… of New Jersey") a state is the name, not the address: the string's
  // address names no place, and the state is only the place the name holds — still never Jersey or Mexico.
  for (const s of ['Rutgers, The State University of New Jersey', 'Department of Computer Science, University of New Mexico']) {
    assert.equal(country(s), null, s);
    assert.equal(gazetteer.placeInName(s)?.code, 'US', s);
  }
  assert.equal(country('University of New South Wales, Sydney, NSW'), 'AU');
  assert.equal(country('RMIT University, Melbourne, Vic 3000'), 'AU');
  assert.equal(country('Universidade Federal do Paraná, Curitiba, Paraná'), 'BR');
  assert.equal(country('CICESE, Ensenada 22860, Baja California'), 'MX');
  // "New England" is no country's name; England is not meant.
  assert.equal(country('University of New England'), null);
});

test('Hellas is Greece', () => {
  assert.equal(country('Athena Research Center, Marousi, Hellas'), 'GR');
  assert.equal(country('National Technical University of Athens, Hellas'), 'GR');
});

test('a Canadian postal code places the address in Canada', () => {
  assert.equal(country('Mem Univ Newfoundland, Wireless Networking Lab, St John, NF A1B 3X5'), 'CA');
  assert.equal(country('Huawei Technol, Ottawa, ON K2K 3J1'), 'CA');
});

test('a name only another language gives a country is not read as that country when it is a city ("Columbia", "Norfolk")', () => {
  assert.equal(country('Univ Missouri, Dept Elect Engn, Columbia'), 'US');
  assert.equal(country('Norfolk State Univ, Dept Mat Sci, Norfolk'), 'US');
});

test('an ambiguous region alone gives no country, and says why; another place in the string decides it', () => {
  const alone = gazetteer.detect('Rutgers State Univ, WINLAB, New Brunswick');
  assert.equal(alone.explicit, false, 'New Brunswick alone may be the city in New Jersey');
  assert.equal(alone.countryCode, null, 'no guess between Canada and the US');
  assert.match(alone.evidence, /may be in CA or US/);
  assert.equal(country('Some Lab, Victoria'), null);
  assert.equal(country('Some Lab, Victoria, BC V8W 2Y2'), 'CA');
  assert.equal(gazetteer.detect('University of New Brunswick, Fredericton, New Brunswick, Canada').countryCode, 'CA');
});

test('a country ending an earlier part names the address when the last part is an unknown place', () => {
  assert.equal(country('Univ Southampton Malaysia, Dept Elect Engn, Iskandar Puteri 79100'), 'MY');
  // but a known city at the end comes first: the campus is where the city is.
  assert.equal(country('Chinese Univ Hong Kong, Dept Sci & Engn, CN-518172 Shenzhen'), 'CN');
});

test('the city the country was read from is reported, so the resolver can weigh it against an institution', () => {
  assert.deepEqual(gazetteer.detect('Hong Kong Polytech Univ, Shenzhen Res Inst, Shenzhen').city, { code: 'CN', text: 'shenzhen' });
  assert.equal(gazetteer.detect('Tsinghua University, Beijing, China').city, null);
});

test('a town the registry has no institution in is read from GeoNames when it names one country only, never from the institution’s own part or an acronym', () => {
  assert.deepEqual([gazetteer.detect('Natl Cheng Kung Univ, Dept Comp Sci, Tainan 701').countryCode, gazetteer.detect('Natl Cheng Kung Univ, Dept Comp Sci, Tainan 701').evidence], ['TW', '"tainan" is a town in TW (GeoNames)']);
  assert.equal(country('Seowon Univ, Dept Informat & Commun Engn, Cheongju 28674'), 'KR');
  assert.equal(country('Nokia, Bell Labs, Holmdel'), null, 'Nokia is a town in Finland, and here the company');
  assert.equal(country('EPSRC Centre for Doctoral Training, (SAMBa)'), null, 'Samba is a town in India, and here an acronym');
  assert.equal(country('Some Lab, University'), null, 'University, Florida is not read from an institution word');
  // A registry city, a country or a region always comes first.
  assert.equal(country('Some Lab, Tainan 701, Japan'), 'JP');
});

test('the GeoNames town list says where it comes from and under which licence', () => {
  const file = JSON.parse(readFileSync(new URL('../../data/geo/world-cities.json', import.meta.url), 'utf8'));
  assert.match(file.provenance.source, /GeoNames/);
  assert.equal(file.provenance.licence, 'CC-BY-4.0 (GeoNames)');
  assert.ok(Object.values(file.placesByCountry as Record<string, string[]>).every((names) => names.every((n) => n === n.toLowerCase())));
});

test('the country letters before a European postcode name the country; a room number does not', () => {
  assert.equal(country('IMEC, NL-5656 AE Eindhoven'), 'NL');
  assert.equal(country('Forschungszentrum Jülich, D-52425 Jülich'), 'DE');
  assert.equal(country('Lund University, SE-221 00 Lund'), 'SE');
  assert.equal(country('Lab B-305, Some Institute'), null);
});

test('addresses in two countries joined by ";", a full stop or ", and" give no country; Hong Kong beside China is one place', () => {
  for (const s of ['Kauvery Hosp, Chennai, Tamil Nadu, India; Royal Stoke Hosp, Crit Care, Stoke On Trent, Staffs', 'Institute of High Performance Computing, Singapore. TCG CREST, Kolkata, India.']) {
    const found = gazetteer.detect(s);
    assert.equal(found.countryCode, null, s);
    assert.equal(found.addresses?.length, 2, s);
    assert.match(found.evidence, /the string holds addresses in 2 countries/, s);
  }
  assert.equal(country('City University of Hong Kong, Kowloon; Hong Kong SAR, China'), 'HK');
  assert.equal(country('Dept Comp Sci; Wuhan Univ, Wuhan; Hubei, China'), 'CN');
  assert.equal(country('Some Univ, Boston, MA, USA, and Other Univ, Wuhan, China'), null);
  // A mainland city makes "China" an address of its own beside Hong Kong's.
  assert.equal(country('Some Univ, Shenzhen, China, and Other Univ, Kowloon, Hong Kong'), null);
  // "China" after Hong Kong is Hong Kong's, not a second place an institution there would disagree with.
  assert.deepEqual(gazetteer.detect('Some Univ, Kowloon, Hong Kong, China').named, ['HK']);
});

test('English counties and Spanish regions place the string; Surrey, Anyang and St Louis each name two places', () => {
  assert.equal(country('Univ Exeter, CEMPS, Exeter, Devon'), 'GB');
  assert.equal(country('Royal Stoke Hosp, Crit Care, Stoke On Trent, Staffs'), 'GB');
  assert.equal(country('Univ Basque Country, Dept Phys Act & Sport Sci, Vitoria 1007, Alava'), 'ES');
  for (const s of ['Some College, Surrey', 'Sungkyul Univ, Coll Paideia, Anyang', 'Gaston Berger Univ, Dept Informat, St Louis']) assert.equal(country(s), null, s);
  assert.equal(country('Some College, Guildford, Surrey, England'), 'GB');
  assert.equal(country('Some University, St Louis, MO 63130'), 'US');
});

test('a town HAL writes in square brackets after a laboratory is its address; a string wholly in brackets is not split', () => {
  assert.equal(country('Department of Computer Science [Leuven]'), 'BE');
  assert.equal(country('Some Laboratory [Barcelona]'), 'ES');
  assert.equal(gazetteer.placeInName('Department of Computer Science [Leuven]')?.code, 'BE');
  assert.equal(country('[Some Laboratory]'), null);
});

test('a country name after a street word is the street ("Av Brasil 2147"), not the country', () => {
  assert.equal(country('Pontificia Univ Catolica Valparaiso, Sch Elect Engn, Av Brasil 2147, Valparaiso 2362804'), null);
  assert.equal(country('Pontificia Univ Catolica Valparaiso, Sch Elect Engn, Valparaiso, Chile'), 'CL');
  assert.equal(country('Univ Fed Rio de Janeiro, Rio de Janeiro, Brasil'), 'BR');
});

test('a city written in its own language or in German places the string; a country first in an institution name places it when nothing else does', () => {
  assert.equal(country('Higher School of Economics, Moskau'), 'RU');
  assert.equal(country('Dipartimento di Informatica, Torino'), 'IT');
  for (const [town, code] of [
    ['Mailand', 'IT'],
    ['Neapel', 'IT'],
    ['Venedig', 'IT'],
    ['Bozen', 'IT'],
    ['Prag', 'CZ'],
    ['Warschau', 'PL'],
    ['Genf', 'CH'],
    ['Lissabon', 'PT'],
    ['Kopenhagen', 'DK'],
    ['Athen', 'GR'],
  ]) {
    assert.equal(country(`Institut für Informatik, ${town}`), code, town);
  }
  assert.equal(gazetteer.placeInName('Economics and Statistics, University of Torino')?.code, 'IT');
  assert.equal(gazetteer.placeInName('Qatar University')?.code, 'QA');
  assert.equal(gazetteer.placeInName('Singapore Institute of Technology')?.code, 'SG');
  assert.equal(gazetteer.placeInName('Qatar Airways'), null, 'a country first counts only before an institution word');
});

test('a place in an institution name is read when a hyphen or a garbled letter sits in the name ("Bahir-Dar University", "Universitï¿½t Hannover")', () => {
  assert.equal(gazetteer.placeInName('Bahir-Dar University')?.code, 'ET');
  assert.equal(gazetteer.placeInName("École nationale supérieure d'architecture de Paris-Belleville")?.code, 'FR');
  assert.equal(gazetteer.placeInName('Leibniz Universitï¿½t Hannover')?.code, 'DE');
  assert.equal(gazetteer.placeInName('U.S.-China Institute'), null, 'dotted initials stay one word');
});

test('a city written in an older or Russian transliteration Web of Science uses places the string ("Lvov", "Touliu", "Pusan")', () => {
  for (const [address, code] of [
    ['SoftServe Inc, R&D Dept, V Velykogo 52, Lvov', 'UA'],
    ['It Jim, Kharkov', 'UA'],
    ['Natl Yunlin Univ Sci & Technol, Dept Elect Engn, Touliu 64002, Yunlin', 'TW'],
    ['Chung Yuan Christian Univ, Dept Biomed Engn, Chungli 32023', 'TW'],
    ['Hsun Hang Technol Co Ltd, 95 Zhuangjing St, Miaoli 360006, Miaoli County', 'TW'],
    ['Dong eui Univ, Dept Comp Software Engn, Pusan 47340', 'KR'],
    ['Elect & Telecommun Res Inst ETRI, Daejon 34129', 'KR'],
    ['Korea Electrotechnol Res Inst, Power SoC Res Ctr, Chang Won', 'KR'],
    ['Dept Phys, Kiev', 'UA'],
    ['Dept Phys, Taegu', 'KR'],
    ['Dept Phys, Kwangju', 'KR'],
    ['Dept Phys, Leningrad', 'RU'],
    ['Dept Math, Tiflis', 'GE'],
    ['Dept Chem, Alma-Ata', 'KZ'],
    ['Sverdlovsk, USSR', 'RU'],
  ] as const)
    assert.equal(country(address), code, address);
  assert.equal(country('Natl Cent Univ, Dept Commun Engn, Zhongli 320'), null, 'Zhongli is also a town name in mainland China');
});

test('a part with a house number is a street, but a country name ending it is the address', () => {
  assert.equal(country('DB Netz AG; Track Technology Management Structural Engineering; Richelstr. 3 Munich 80634 Germany'), 'DE');
  assert.equal(country('Some Lab, Av Brasil 2147'), null);
});

test('a German name that is also a smaller place elsewhere ("Rom", "Breslau", "Straßburg") is the city the registry holds institutions in, and says so', () => {
  for (const [town, code, city] of [
    ['Rom', 'IT', 'Rome'],
    ['Breslau', 'PL', 'Wrocław'],
    ['Straßburg', 'FR', 'Strasbourg'],
  ] as const) {
    const found = gazetteer.detect(`Institut für Informatik, ${town}`);
    assert.equal(found.countryCode, code, town);
    assert.match(found.evidence, new RegExp(`is ${city} \\(${code}\\) or .+; the registry holds institutions in ${city} only`), town);
  }
  assert.equal(country('Sapienza Universität Rom'), 'IT');
  assert.equal(country('Breslau, Ontario'), 'CA', 'another place in the string decides first');
  assert.equal(new Gazetteer([]).detect('Institut für Informatik, Rom').countryCode, null, 'a registry with no institution in Rome tells nothing');
});

test('a German exonym yields to another place or region the string names; a word in capitals ("ROM") is no exonym', () => {
  assert.equal(country('Gemeindeamt, Straßburg, Kärnten'), 'AT', 'Kärnten is the Austrian state the village is in');
  assert.equal(country('Rom, Mecklenburg-Vorpommern'), 'DE');
  assert.equal(country('Institut für Informatik, Berlin, Straßburg'), null, 'Berlin is in neither country Straßburg may be in');
  assert.equal(country('ROM'), null);
  assert.equal(country('Department of Physics, ROM'), null);
  assert.equal(country('University of Georgia, Athens, Georgia'), 'US', 'Athens is held in the US and in Greece, and Georgia may be the US state');
});

test('a country\'s initials with dots opening a name ("U.S. Army Corps of Engineers") place its national body; other dotted initials do not', () => {
  assert.equal(gazetteer.placeInName('U.S. Army Corps of Engineers')?.code, 'US');
  assert.equal(gazetteer.placeInName('U.S Department of the Interior, Bureau of Reclamation')?.code, 'US');
  assert.equal(gazetteer.placeInName('U.K. Atomic Energy Authority')?.code, 'GB');
  assert.equal(gazetteer.placeInName('U.S.-China Institute'), null);
  assert.equal(gazetteer.placeInName('U.S. Army Corps of Engineers Berlin')?.code, 'DE', 'a city named is where the body works');
  assert.equal(gazetteer.placeInName('U.S. Naval Medical Research Unit No. 3 Cairo'), null);
  assert.equal(gazetteer.placeInName('U.S. China Institute'), null, 'a second country named after the initials');
  assert.equal(gazetteer.placeInName('U.S. - China Institute'), null);
  assert.equal(country('U.S. - China Institute'), null);
  assert.equal(gazetteer.placeInName('J.R. Simplot Company'), null);
});
