// @ts-check
import { barChart, clusterOf, levelRank, lineChart, networkChart, networkLayout, seriesColour, shownText } from './charts.js';
import { casesModule } from './cases.js';
import { accountModule } from './account.js';
import { alertsModule } from './alerts.js';
import { kbModule } from './kb.js';
import { exchangeModule, namesakeBlock } from './exchange.js';
import { csvCell } from './csv-cell.js';

const page = document.getElementById('page');
const form = /** @type {HTMLFormElement} */ (document.getElementById('filters'));
const errorBox = document.getElementById('error');
const PAIRS = [
  ['EU27AC', 'CN'],
  ['US', 'CN'],
  ['EU27AC', 'US'],
];

// Every text a view shows goes through here (shownText), but not a textarea's text: that is a value sent back as it is.
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  const shown = tag === 'textarea' ? String : shownText;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, k === 'title' || k === 'aria-label' ? shownText(v) : v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(shown(c)));
  return node;
}

const FILTER_KEYS = ['from', 'to', 'field', 'counting', 'china_hk', 'china_mo', 'rollup'];

/** The filters as the address carries them (a view's own keys in `keep` stay), "" when none is set. */
function filterQuery(keep = new URLSearchParams()) {
  const q = new URLSearchParams([...keep].filter(([k]) => !FILTER_KEYS.includes(k)));
  for (const [k, v] of formFilters()) if (!(k === 'field' && location.hash.startsWith('#/field/'))) q.set(k, v);
  if (formCounting() !== 'full') q.set('counting', formCounting());
  return q.size ? `?${q}` : '';
}

/** The last address the filter bar wrote: its route must not write it back into the bar, which may be ahead of it. */
let writtenByForm = null;

/**
 * The filters live in the address, so a view can be shared: an address that names filters sets
 * the form, unless the form wrote it (a change made since, not yet in the address, would be
 * undone: a change event's address arrives with the next hashchange, after the user, or a test,
 * may have typed into another box); one that names none (a link, the menu) gets the form's, in
 * place. Returns the filters the view shows, read from the address once, when the route starts.
 */
function filtersInAddress(path, query) {
  if (!FILTER_KEYS.some((k) => query.has(k))) {
    const carried = filterQuery(query);
    if (carried) history.replaceState(null, '', `${location.pathname}${path || '#/'}${carried}`);
    query = new URLSearchParams(carried);
  } else if (location.hash !== writtenByForm) {
    for (const key of FILTER_KEYS) {
      const input = /** @type {HTMLInputElement} */ (form.elements.namedItem(key));
      if (input.type === 'checkbox') input.checked = query.get(key) === 'true';
      else if (key !== 'field' || !path.startsWith('#/field/')) input.value = query.get(key) ?? (key === 'counting' ? 'full' : '');
    }
  }
  const shown = new URLSearchParams();
  for (const key of ['from', 'to', 'field']) if (query.get(key)) shown.set(key, String(query.get(key)));
  for (const key of ['china_hk', 'china_mo', 'rollup']) if (query.get(key) === 'true') shown.set(key, 'true');
  const field = /^#\/field\/([^/?]+)/.exec(path)?.[1];
  if (field) shown.set('field', decodeURIComponent(field));
  return { filters: shown, counting: query.get('counting') === 'fractional' ? 'fractional' : 'full' };
}

/** What the filter bar says now (it may be ahead of the address while a change is on its way). */
function formFilters() {
  const f = new FormData(form);
  const q = new URLSearchParams();
  for (const key of ['from', 'to', 'field']) if (f.get(key)) q.set(key, String(f.get(key)));
  for (const key of ['china_hk', 'china_mo', 'rollup']) if (f.get(key)) q.set(key, 'true');
  return q;
}
const formCounting = () => String(new FormData(form).get('counting') ?? 'full');

/** The filters of the view being drawn: its address's, read when its route started. */
let shown = { filters: new URLSearchParams(), counting: 'full' };
const filters = () => new URLSearchParams(shown.filters);
const counting = () => shown.counting;

class LoginRequired extends Error {}

// The session's CSRF token, sent with every change (the cookie alone is not enough).
let csrf = null;

async function api(path, params = new URLSearchParams()) {
  const response = await fetch(`${path}${params.size ? `?${params}` : ''}`, { credentials: 'same-origin' });
  const body = await response.json();
  if (response.status === 401) throw new LoginRequired(body.message);
  if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
  return body;
}

/** A page of a long list: its rows and how many match in all (the server's x-total-count). */
async function apiPage(path, params) {
  const response = await fetch(`${path}?${params}`, { credentials: 'same-origin' });
  const body = await response.json();
  if (response.status === 401) throw new LoginRequired(body.message);
  if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
  return { rows: body, total: Number(response.headers.get('x-total-count') ?? body.length) };
}

/** A page of a list the server pages by cursor: its rows and the next page's address (the Link header's rel="next"), or null. */
async function apiCursor(path) {
  const response = await fetch(path, { credentials: 'same-origin' });
  const body = await response.json();
  if (response.status === 401) throw new LoginRequired(body.message);
  if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
  return { rows: body, next: /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1] ?? null };
}

/** Previous / next under a paged list, with where the page is ("26–50 of 112"). */
function pager({ total, offset, limit, go }) {
  if (total <= limit && offset === 0) return h('p', { class: 'muted pager', 'data-testid': 'pager' }, `${total} in all`);
  const prev = h('button', { type: 'button', ...(offset === 0 ? { disabled: '' } : {}) }, '‹ Previous');
  const next = h('button', { type: 'button', ...(offset + limit >= total ? { disabled: '' } : {}) }, 'Next ›');
  prev.addEventListener('click', () => go(Math.max(0, offset - limit)));
  next.addEventListener('click', () => go(offset + limit));
  return h('p', { class: 'pager', 'data-testid': 'pager' }, prev, ` ${Math.min(total, offset + 1)}–${Math.min(total, offset + limit)} of ${total} `, next);
}

async function send(method, path, body, type = 'application/json', extra = {}) {
  const headers = body === undefined ? { 'x-csrf-token': csrf ?? '', ...extra } : { 'content-type': type, 'x-csrf-token': csrf ?? '', ...extra };
  const response = await fetch(path, { method, credentials: 'same-origin', headers, body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : body });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 401) throw new LoginRequired(answer.message);
  if (!response.ok) throw new Error(answer.message ?? `HTTP ${response.status}`);
  return answer;
}

function loginView() {
  const f = h(
    'form',
    { id: 'login-form', class: 'login' },
    h('label', { class: 'field' }, 'E-mail ', h('input', { name: 'email', type: 'email', required: '', autocomplete: 'username' })),
    h('label', { class: 'field' }, 'Password ', h('input', { name: 'password', type: 'password', required: '', autocomplete: 'current-password' })),
    h('button', { type: 'submit' }, 'Log in'),
  );
  f.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const session = await send('POST', '/api/login', { email: f.elements.email.value, password: f.elements.password.value });
      csrf = session.csrf;
      await start();
    } catch (e) {
      errorBox.textContent = e.message;
      errorBox.hidden = false;
    }
  });
  return [card('Log in to derisk', 'login-card', f)];
}

async function indicator(name, extra = {}) {
  const q = filters();
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const body = await api(`/api/indicators/${name}`, q);
  document.getElementById('scope').textContent = `${body.chinaScope}.`;
  return body.rows;
}

function download(name, blob) {
  const a = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

function svgDownloads(svg, name) {
  const svgButton = h('button', { type: 'button' }, 'SVG');
  svgButton.addEventListener('click', () => download(`${name}.svg`, new Blob([new XMLSerializer().serializeToString(svg)], { type: 'image/svg+xml' })));
  const pngButton = h('button', { type: 'button' }, 'PNG');
  pngButton.addEventListener('click', () => {
    const image = new Image();
    const box = svg.viewBox.baseVal;
    image.onload = () => {
      const canvas = h('canvas', { width: String(box.width * 2), height: String(box.height * 2) });
      canvas.getContext('2d').drawImage(image, 0, 0, box.width * 2, box.height * 2);
      canvas.toBlob((blob) => download(`${name}.png`, blob));
    };
    image.src = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(svg)], { type: 'image/svg+xml' }));
  });
  return h('span', { class: 'tools' }, svgButton, pngButton);
}

// The server's own rule (src/csv-cell.js): never a formula, hidden characters shown; a list as its items.
const cellOf = (v) => csvCell(Array.isArray(v) ? v.join('; ') : v);

/** A button that downloads `rows` as `name`.csv, a column for each of `columns` (by key). */
function csvButton(rows, columns, name) {
  const csv = h('button', { type: 'button', 'data-testid': `${name}-csv` }, 'CSV');
  csv.addEventListener('click', () => download(`${name}.csv`, new Blob([[columns.map((c) => c.key).join(','), ...rows.map((r) => columns.map((c) => cellOf(r[c.key])).join(','))].join('\n')], { type: 'text/csv' })));
  return csv;
}

const TABLE_PAGE = 25;

/**
 * A table of rows with its CSV (every row). Any header sorts it (again: the other way); a long
 * one gets a search over its text and pages of TABLE_PAGE rows.
 */
function table(rows, columns, name, link, decorate = (_tr, _row) => undefined) {
  const csv = csvButton(rows, columns, name);
  const rowOf = (r) => {
    const tr = h(
      'tr',
      {},
      ...columns.map((c) => {
        const value = Array.isArray(r[c.key]) ? r[c.key].join('; ') : (r[c.key] ?? '');
        const cell = h('td', { ...(c.num ? { class: 'num' } : {}), 'data-label': c.label });
        if (link && c.key === link.key && r[link.id]) cell.append(h('a', { href: `#/institution/${r[link.id]}` }, value));
        else if (c.href) cell.append(h('a', { href: c.href(r) }, value));
        else cell.append(typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(3) : String(value));
        if (c.risk && c.risk.id(r)) cell.append(...riskMarks(c.risk.id(r), c.risk.levels, c.risk.china));
        return cell;
      }),
    );
    decorate(tr, r);
    return tr;
  };
  const long = rows.length > TABLE_PAGE;
  const state = { key: null, descending: false, needle: '', offset: 0 };
  const tbody = h('tbody', {});
  const status = h('span', { class: 'muted', 'data-testid': `${name}-shown` });
  const prev = h('button', { type: 'button' }, '‹');
  const next = h('button', { type: 'button' }, '›');
  const text = (r) =>
    columns
      .map((c) => (Array.isArray(r[c.key]) ? r[c.key].join(' ') : String(r[c.key] ?? '')))
      .join(' ')
      .toLowerCase();
  const draw = () => {
    let shown = state.needle ? rows.filter((r) => text(r).includes(state.needle)) : rows;
    if (state.key) {
      const k = state.key;
      shown = [...shown].sort((a, b) => (typeof a[k] === 'number' && typeof b[k] === 'number' ? a[k] - b[k] : String(a[k] ?? '').localeCompare(String(b[k] ?? ''))) * (state.descending ? -1 : 1));
    }
    const page = long ? shown.slice(state.offset, state.offset + TABLE_PAGE) : shown;
    tbody.replaceChildren(...page.map(rowOf));
    status.textContent = long ? ` ${shown.length ? state.offset + 1 : 0}–${state.offset + page.length} of ${shown.length}${state.needle ? ` matching (${rows.length} in all)` : ''} ` : '';
    prev.disabled = state.offset === 0;
    next.disabled = state.offset + TABLE_PAGE >= shown.length;
  };
  const head = h(
    'tr',
    {},
    ...columns.map((c) => {
      const th = h('th', { ...(c.num ? { class: 'num' } : {}), 'aria-sort': 'none' }, h('button', { type: 'button', class: 'sort' }, c.label));
      th.firstChild.addEventListener('click', () => {
        state.descending = state.key === c.key ? !state.descending : Boolean(c.num);
        state.key = c.key;
        state.offset = 0;
        for (const other of head.children) other.setAttribute('aria-sort', 'none');
        th.setAttribute('aria-sort', state.descending ? 'descending' : 'ascending');
        draw();
      });
      return th;
    }),
  );
  // An empty table says so in words, not as a row of headers.
  if (!rows.length) return [h('p', { class: 'muted empty', 'data-testid': `${name}-empty` }, 'None.')];
  draw();
  const tools = [csv];
  if (long) {
    const search = h('input', { type: 'search', placeholder: 'search this table', 'aria-label': `search ${name}`, 'data-testid': `${name}-search` });
    search.addEventListener('input', () => {
      state.needle = search.value.trim().toLowerCase();
      state.offset = 0;
      draw();
    });
    prev.addEventListener('click', () => {
      state.offset = Math.max(0, state.offset - TABLE_PAGE);
      draw();
    });
    next.addEventListener('click', () => {
      state.offset += TABLE_PAGE;
      draw();
    });
    tools.unshift(search, prev, status, next);
  }
  return [h('span', { class: 'tools' }, ...tools), h('div', { class: 'table-scroll' }, h('table', { 'data-testid': name }, h('thead', {}, head), tbody))];
}

/**
 * What the risk lists say of registry institutions (by ROR id): one batch screening, as the
 * Screening page's, so a table and the screening never disagree. A map of id → {state, level}.
 */
async function riskOf(ids) {
  const unique = [...new Set(ids.filter(Boolean))].slice(0, 500);
  if (!unique.length) return new Map();
  try {
    const b = await send('POST', '/api/screen/batch', { text: unique.join('\n') });
    return new Map(b.rows.map((r) => [r.query, r]));
  } catch (e) {
    if (e instanceof LoginRequired) throw e;
    // The figures stand without the lists (none loaded yet, say): the view says levels are missing, and why.
    return Object.assign(new Map(), { missing: e.message });
  }
}

/** Said once under a table or chart whose risk levels could not be read. */
const missingLevels = (levels) => (levels.missing ? h('p', { class: 'muted', 'data-testid': 'levels-missing' }, `Risk levels not shown: ${levels.missing}`) : '');

/** A listed (or ambiguous) institution's level badge, and for a Chinese institution the way to its screening and briefing sheet. */
function riskMarks(rorId, levels, china) {
  const r = levels.get(rorId);
  const marks = [];
  if (r?.state === 'listed') marks.push(' ', h('span', { class: `badge level-${r.level}`, 'data-level': r.level, 'data-ror': rorId, title: `listed: ${r.lists.join('; ')}` }, levelWords(r.level)));
  else if (r?.state === 'ambiguous') marks.push(' ', h('span', { class: 'badge level-ambiguous', 'data-level': 'ambiguous', 'data-ror': rorId, title: r.headline }, 'ambiguous'));
  if (china) marks.push(' ', h('a', { class: 'screen-link', href: `#/screen/name/${rorId}`, title: 'its screening against the risk lists' }, 'screen'), ' · ', h('a', { class: 'screen-link', href: `#/screen/brief/${rorId}`, title: 'its briefing sheet' }, 'brief'));
  return marks;
}

/**
 * Suggestions from the registry under a text box as one types (a combobox: arrows, Enter, Escape,
 * or a click). `onPick` gets the institution chosen; `onType` hears every change of the text.
 * Returns the box to place where the input would go.
 */
function institutionPicker(input, onPick, onType = () => undefined) {
  const list = h('ul', { class: 'suggestions', role: 'listbox', hidden: '' });
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('autocomplete', 'off');
  const none = h('span', { class: 'muted picker-none', 'data-testid': 'no-suggestion', hidden: '' }, 'no registry institution has this name: it is screened as written');
  const box = h('span', { class: 'picker' }, input, list, none);
  let rows = [];
  let active = -1;
  let timer = null;
  let asked = 0;
  const close = () => {
    list.hidden = true;
    active = -1;
  };
  const pick = (r) => {
    input.value = r.name;
    close();
    onPick(r);
  };
  const mark = () => [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === active)));
  input.addEventListener('input', () => {
    onType();
    clearTimeout(timer);
    const text = input.value.trim();
    none.hidden = true;
    if (text.length < 2) return close();
    timer = setTimeout(async () => {
      const mine = ++asked;
      // Suggestions are a help, not an answer: when they cannot be had, the name is still screened as written.
      const found = await api('/api/institutions', new URLSearchParams({ q: text })).catch(() => null);
      if (mine !== asked || found === null) return;
      rows = found;
      active = -1;
      // No match is said beside the box, in the flow, so that nothing else on the form is covered.
      none.hidden = rows.length > 0;
      list.replaceChildren(
        ...rows.map((r) => {
          const li = h('li', { role: 'option', 'data-ror': r.rorId }, h('strong', {}, r.name), h('span', { class: 'muted' }, ` ${[r.matched ? `“${r.matched}”` : '', r.city, r.countryCode].filter(Boolean).join(', ')}`));
          li.addEventListener('mousedown', (e) => {
            e.preventDefault();
            pick(r);
          });
          return li;
        }),
      );
      list.hidden = rows.length === 0;
    }, 200);
  });
  input.addEventListener('keydown', (e) => {
    if (list.hidden || !rows.length) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : rows.length - 1)) % rows.length;
      mark();
    } else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      pick(rows[active]);
    } else if (e.key === 'Escape') close();
  });
  input.addEventListener('blur', close);
  return box;
}

const STATE_WORDS = { listed: 'listed', ambiguous: 'ambiguous: say which one', 'not-listed': 'recognised, not listed', unknown: 'unknown organisation' };

/** One name screened as one goes: its state (and level) as a badge, with the headline in the tooltip. */
async function screenedBadge(query) {
  const r = await api('/api/screen', new URLSearchParams({ q: query }));
  return h('span', { class: `badge state-badge state-${r.state}${r.level ? ` level-${r.level}` : ''}`, 'data-state': r.state, ...(r.level ? { 'data-level': r.level } : {}), title: r.headline }, r.state === 'listed' && r.level ? `listed · ${levelWords(r.level)}` : STATE_WORDS[r.state]);
}

const KIND_WORDS = { openalex: 'OpenAlex', wos: 'Web of Science', scopus: 'Scopus' };

/** What every landscape view is computed from: the sources loaded, the works, the date; a partial year and small samples said plainly. */
async function corpusLine() {
  const c = await api('/api/corpus');
  corpus = c;
  const sources = c.sources.map((s) => `${s.file} (${KIND_WORDS[s.kind] ?? s.kind}, ${s.records.toLocaleString('en')} records, loaded ${s.loadedAt})`).join('; ');
  return h(
    'p',
    { class: 'corpus muted', 'data-testid': 'corpus-note' },
    h('strong', {}, 'Corpus: '),
    c.works ? `${c.works.toLocaleString('en')} works, ${c.firstYear}–${c.lastYear}, from ${sources}. ` : 'no publication source is loaded yet. ',
    c.partialYear ? h('span', { 'data-testid': 'partial-year' }, `${c.partialYear} is partial: the newest source was loaded on ${c.loadedAt}. `) : '',
    `Counts under ${c.smallSample} works are marked “few”: a difference of a few works is noise, not a trend.`,
  );
}
/** The corpus note of the view shown last: tables mark the partial year and small counts by it. */
let corpus = { works: 0, partialYear: null, smallSample: 0 };
const yearNote = (year, n) => [year === corpus.partialYear ? 'partial year' : '', n < corpus.smallSample ? 'few' : ''].filter(Boolean).join(', ');

function card(title, testid, ...content) {
  return h('section', { class: 'card', 'data-testid': testid }, h('h2', {}, title), ...content);
}

function legend(names) {
  return h(
    'div',
    { class: 'legend' },
    ...names.map((n, i) => {
      const swatch = h('i');
      swatch.style.background = seriesColour(n, i);
      return h('span', {}, swatch, n);
    }),
  );
}

async function landscape(fieldId) {
  // A new installation: charts of nothing would read as a fault, so say what fills them.
  if (!corpus.works) {
    return [
      card(
        'No publications loaded yet',
        'empty-evidence',
        h('p', {}, 'The landscape counts the co-publications of the evidence store, and it holds none yet. An administrator loads them on the server:'),
        h('p', {}, h('code', {}, 'derisk ingest openalex|wos|scopus <export file>')),
        h('p', {}, 'or ', h('code', {}, 'derisk demo'), ' for the sample from the data mirror.'),
        h('p', { class: 'muted' }, 'Screening, cases and the knowledge base work without them.'),
      ),
    ];
  }
  const [pairs, pubs, top, fields] = await Promise.all([
    Promise.all(PAIRS.map(([a, b]) => indicator('copubs', { regions: `${a},${b}` }))),
    indicator('publications', { regions: 'EU27AC,CN,US' }),
    indicator('top-institutions', { regions: 'EU27AC,CN', limit: '15' }),
    indicator('fields', { regions: 'EU27AC,CN' }),
  ]);
  const levels = await riskOf(top.flatMap((t) => [t.rorId, t.mainPartnerId]));
  const key = counting();
  const copubSvg = lineChart(
    PAIRS.map(([a, b], i) => ({ name: `${a}–${b}`, points: pairs[i].map((y) => ({ x: y.year, y: y[key] })) })),
    { yLabel: `co-publications (${key} counting)` },
  );
  const regions = [...new Set(pubs.map((r) => r.region))];
  const pubSvg = lineChart(
    regions.map((r) => ({ name: r, points: pubs.filter((p) => p.region === r).map((p) => ({ x: p.year, y: p[key] })) })),
    { yLabel: `publications (${key} counting)` },
  );
  // The EU27/AC–China pair's own colour, as on the co-publications chart.
  const fieldSvg = barChart(
    fields.map((f) => ({ label: f.name, value: f.copublications })),
    { colour: seriesColour('EU27AC–CN', 0) },
  );
  return [
    card(
      fieldId ? `Co-publications per year — field: ${fields.find((f) => f.fieldId === fieldId)?.name ?? fieldId}` : 'Co-publications per year',
      'copubs-card',
      svgDownloads(copubSvg, 'copublications'),
      legend(PAIRS.map(([a, b]) => `${a}–${b}`)),
      copubSvg,
      ...table(
        PAIRS.flatMap(([a, b], i) => pairs[i].map((y) => ({ pair: `${a}–${b}`, ...y, difference: +(y.full - y.fractional).toFixed(4), note: yearNote(y.year, y.full) }))),
        [
          { key: 'pair', label: 'pair' },
          { key: 'year', label: 'year', num: true },
          { key: 'full', label: 'full', num: true, href: (r) => `#/works/${r.pair.replace('–', ',')}/${r.year}` },
          { key: 'fractional', label: 'fractional', num: true },
          { key: 'difference', label: 'difference', num: true },
          { key: 'note', label: 'note' },
        ],
        'copubs-table',
      ),
    ),
    card('Publications per year by region', 'pubs-card', svgDownloads(pubSvg, 'publications'), legend(regions), pubSvg),
    card(
      'Top EU27/AC institutions co-publishing with China',
      'top-card',
      ...table(
        top.map((t) => ({ ...t, note: t.copublications < corpus.smallSample ? 'few' : '' })),
        [
          { key: 'name', label: 'institution', risk: { id: (r) => r.rorId, levels } },
          { key: 'countryCode', label: 'country' },
          { key: 'copublications', label: 'co-publications', num: true },
          { key: 'mainPartnerName', label: 'main Chinese partner', risk: { id: (r) => r.mainPartnerId, levels, china: true } },
          { key: 'withMainPartner', label: 'with it', num: true },
          { key: 'note', label: 'note' },
        ],
        'top-table',
        { key: 'name', id: 'rorId' },
      ),
      missingLevels(levels),
    ),
    card(
      'EU27/AC–China co-publications by field',
      'fields-card',
      svgDownloads(fieldSvg, 'fields'),
      fieldSvg,
      h('p', { class: 'muted' }, 'A work counts in each of its fields. Each field on its own: ', ...fields.flatMap((f, i) => [...(i ? [' · '] : []), h('a', { href: `#/field/${f.fieldId}`, class: 'field-link', 'data-field': f.fieldId }, f.name)])),
    ),
  ];
}

/** The filter bar's settings as a view that is not one indicator asks for them (counting included). */
function viewFilters() {
  const q = filters();
  q.set('counting', counting());
  return q;
}

/** What the filters narrow a view to, in words ("2022–2023 · field: … · fractional counting"), or "" when nothing is set. */
function filterWords() {
  const q = filters();
  const years = q.has('from') || q.has('to') ? `${q.get('from') ?? '…'}–${q.get('to') ?? '…'}` : '';
  const field = /** @type {HTMLSelectElement} */ (form.elements.namedItem('field'));
  return [
    years,
    q.has('field') ? `field: ${[...field.options].find((o) => o.value === q.get('field'))?.textContent ?? q.get('field')}` : '',
    counting() === 'fractional' ? 'fractional counting' : '',
    q.has('rollup') ? 'rolled up to parents' : '',
    q.has('china_hk') ? 'Hong Kong as China' : '',
    q.has('china_mo') ? 'Macao as China' : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

async function institution(id) {
  const p = await api(`/api/institutions/${encodeURIComponent(id)}`, viewFilters());
  const trend = lineChart([{ name: p.institution.name, points: p.copublicationsByYear.map((y) => ({ x: y.year, y: y.copublications })) }], { yLabel: `co-publications (${p.counting} counting)` });
  const narrowed = filterWords();
  return [
    card(
      p.institution.name,
      'institution-card',
      h('p', {}, `${p.institution.country_code ?? ''} · ${p.institution.city ?? ''} · ROR ${p.institution.ror_id} · ${p.regions.join('–')} co-publications`, ...riskMarks(p.institution.ror_id, await riskOf([p.institution.ror_id]), p.institution.country_code === 'CN')),
      h('p', { class: 'muted', 'data-testid': 'institution-scope' }, `${p.works.length} co-publication${p.works.length === 1 ? '' : 's'}${narrowed ? ` under the filters: ${narrowed}` : ', all years and fields'}.`),
      ...(p.works.length
        ? [h('span', { class: 'tools' }, svgDownloads(trend, 'trend'), csvButton(p.copublicationsByYear, [{ key: 'year' }, { key: 'copublications' }], 'trend')), trend]
        : [h('p', { class: 'muted', 'data-testid': 'no-copubs' }, narrowed ? 'No co-publication under these filters: widen the years or the field above.' : `No ${p.regions.join('–')} co-publication in the loaded works.`)]),
    ),
    card(
      'Partners',
      'partners-card',
      ...table(
        p.partners,
        [
          { key: 'name', label: 'partner' },
          { key: 'copublications', label: 'co-publications', num: true },
        ],
        'partners-table',
      ),
    ),
    card(
      'Works',
      'works-card',
      ...table(
        p.works,
        [
          { key: 'year', label: 'year', num: true },
          { key: 'title', label: 'title' },
          { key: 'doi', label: 'DOI' },
          { key: 'institutions', label: 'institutions' },
          { key: 'companies', label: 'companies' },
        ],
        'works-table',
      ),
    ),
    await matchesCard(p.institution, p.affiliations),
  ];
}

/**
 * The affiliation strings matched to an institution, each with a control to say the match is
 * wrong (not this one, another ROR id, or no registry institution) and why, and the
 * organisation's corrections so far. A correction changes only the organisation's own view.
 */
async function matchesCard(inst, affiliations) {
  const corrections = await api('/api/match/corrections');
  // A correction naming another institution shows its name: asked of the registry once per institution.
  const others = [...new Set(corrections.map((c) => c.rorId).filter((id) => id && id !== inst.ror_id))];
  const names = new Map([[inst.ror_id, inst.name]]);
  for (const [id, found] of await Promise.all(others.map(async (id) => [id, await api('/api/institutions', new URLSearchParams({ q: id }))]))) names.set(id, found[0]?.name ?? null);
  const named = (id) => (names.get(id) ? h('a', { href: `#/institution/${id}`, title: `ROR ${id}` }, names.get(id)) : h('span', { class: 'unregistered', title: 'not in the loaded registry', 'data-testid': 'unregistered' }, `ROR ${id}`));
  const rows = affiliations.map((a) => {
    const toggle = h('button', { type: 'button', class: 'link', 'data-testid': 'wrong-match' }, 'Wrong match…');
    // The other institution is picked by name from the registry (a ROR id typed works too).
    const rorInput = h('input', { name: 'ror', type: 'hidden' });
    const otherInput = h('input', { name: 'other', maxlength: '200', placeholder: 'type a name, pick it', 'aria-label': 'the other institution' });
    const otherLabel = h(
      'label',
      { class: 'field', hidden: '' },
      'Institution ',
      institutionPicker(
        otherInput,
        (r) => {
          rorInput.value = r.rorId;
        },
        () => {
          rorInput.value = '';
        },
      ),
    );
    const verdictSelect = h('select', { name: 'verdict' }, h('option', { value: 'not' }, `is not ${inst.name}`), h('option', { value: 'is' }, 'is another institution'), h('option', { value: 'none' }, 'names no registry institution'));
    verdictSelect.addEventListener('change', () => {
      otherLabel.hidden = verdictSelect.value !== 'is';
    });
    const f = h(
      'form',
      { class: 'correction-form', hidden: '' },
      h('label', { class: 'field' }, 'The string ', verdictSelect),
      otherLabel,
      rorInput,
      h('label', { class: 'field' }, 'Reason ', h('input', { name: 'reason', required: '', maxlength: '5000', placeholder: 'who checked what' })),
      h('button', { type: 'submit' }, 'Save correction'),
      h('span', { class: 'muted', role: 'status' }),
    );
    toggle.addEventListener('click', () => {
      f.hidden = !f.hidden;
    });
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const verdict = f.elements.verdict.value;
      const body = { string: a.raw, verdict, reason: f.elements.reason.value };
      if (verdict === 'not') body.ror = inst.ror_id;
      if (verdict === 'is') body.ror = rorInput.value || otherInput.value.trim();
      try {
        const made = await send('POST', '/api/match/corrections', body);
        f.querySelector('[role=status]').textContent = `Saved: ${made.applied.strings} string(s) answered differently, ${made.applied.works} work(s) counted differently for your organisation.`;
        await route();
      } catch (err) {
        f.querySelector('[role=status]').textContent = err.message;
      }
    });
    // A company the string names shows beside the institution, with its evidence (a lab's country, or none said in words).
    const companies = a.companies.map((c) => h('span', { class: 'company', title: c.evidence, 'data-testid': 'match-company' }, c.label));
    return h('tr', {}, h('td', {}, a.raw), h('td', {}, String(a.uses)), h('td', {}, `${a.tier}: ${a.evidence}`), h('td', {}, ...companies.flatMap((c, i) => (i ? ['; ', c] : [c]))), h('td', {}, toggle, f));
  });
  const said = (c) => [h('q', {}, c.raw), ...(c.verdict === 'none' ? [' names no registry institution'] : [` ${c.verdict === 'is' ? 'is' : 'is not'} `, named(c.rorId)]), ` — ${c.reason} `];
  // In force, or what ended it: a superseded or withdrawn correction stays listed (the history an officer defends).
  const state = (c) =>
    c.state === 'withdrawn'
      ? h('span', { class: 'muted', 'data-testid': 'correction-state' }, ` withdrawn ${c.withdrawal.at.slice(0, 10)} by ${c.withdrawal.byName ?? c.withdrawal.by}: ${c.withdrawal.reason}`)
      : c.state === 'superseded'
        ? h('span', { class: 'muted', 'data-testid': 'correction-state' }, ' superseded by a later correction of the same string')
        : withdrawControl(c);
  const withdrawControl = (c) => {
    const reason = h('input', { name: 'reason', required: '', maxlength: '5000', placeholder: 'why it no longer holds', 'aria-label': 'reason for withdrawing' });
    const f = h('form', { class: 'correction-form', hidden: '' }, reason, h('button', { type: 'submit' }, 'Withdraw'), h('span', { class: 'muted', role: 'status' }));
    const toggle = h('button', { type: 'button', class: 'link', 'data-testid': 'withdraw-correction' }, 'Withdraw…');
    toggle.addEventListener('click', () => {
      f.hidden = !f.hidden;
    });
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await send('POST', `/api/match/corrections/${encodeURIComponent(c.id)}/withdraw`, { reason: reason.value });
        await route();
      } catch (err) {
        f.querySelector('[role=status]').textContent = err.message;
      }
    });
    return h('span', {}, ' ', toggle, f);
  };
  const own = corrections.filter((c) => !c.sharedBy).map((c) => h('li', { 'data-state': c.state }, ...said(c), h('span', { class: 'muted' }, `(${c.createdByName ? `${c.createdByName}, ${c.createdBy}` : c.createdBy}, ${c.createdAt.slice(0, 10)}, ${c.distribution})`), state(c)));
  const shared = corrections.filter((c) => c.sharedBy).map((c) => h('li', {}, ...said(c), h('span', { class: 'muted' }, `(shared by ${c.sharedBy.name}, ${c.createdAt.slice(0, 10)})`)));
  return card(
    'Matched affiliation strings',
    'matches-card',
    h('p', { class: 'muted' }, 'The affiliation strings of all loaded works matched to this institution, whatever the filters (a match holds for every year and field; uses count every work). A correction applies to your organisation’s indicators, profiles, portfolios and verdicts only.'),
    rows.length === 0
      ? h('p', { class: 'muted', 'data-testid': 'matches-empty' }, 'No affiliation string of the loaded works is matched to it.')
      : h('div', { class: 'table-scroll' }, h('table', { 'data-testid': 'matches-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'affiliation string'), h('th', { class: 'num' }, 'uses'), h('th', {}, 'matched'), h('th', {}, 'company'), h('th', {}, ''))), h('tbody', {}, ...rows))),
    h('h3', {}, 'Your organisation’s corrections'),
    own.length ? h('ul', { 'data-testid': 'corrections-list' }, ...own) : h('p', { class: 'muted', 'data-testid': 'corrections-list' }, 'None yet.'),
    ...(shared.length ? [h('h3', {}, 'Shared with your organisation by others'), h('ul', { 'data-testid': 'shared-corrections-list' }, ...shared)] : []),
  );
}

/**
 * The works behind one number: a region pair's co-publications in one year, or an institution's
 * (with one partner: the works the two share) from the network, under the current filters.
 */
async function works(pair, year, query) {
  const institution = query.get('institution');
  const partner = query.get('partner');
  const scope = { regions: pair, limit: '1000', ...(year ? { from: year, to: year } : {}) };
  const [rows, partnerRows, names] = await Promise.all([
    indicator('works', { ...scope, ...(institution ? { institution } : {}) }),
    partner ? indicator('works', { ...scope, institution: partner }) : null,
    Promise.all([institution, partner].filter(Boolean).map(async (id) => (await api('/api/institutions', new URLSearchParams({ q: id })))[0]?.name ?? `${id} (not in the loaded registry)`)),
  ]);
  const shared = partnerRows ? new Set(partnerRows.map((w) => w.workId)) : null;
  const shown = shared ? rows.filter((w) => shared.has(w.workId)) : rows;
  const who = names.length === 2 ? `${names[0]} with ${names[1]}` : names[0];
  // The bar's filters narrow the list too (a field chosen on a field view stays chosen): the title says so.
  const narrowed = filterWords();
  const title = `${pair.replace(',', '–')} co-publications${who ? ` of ${who}` : ''}${year ? ` in ${year}` : ''}${narrowed ? ` (${narrowed})` : ''}: ${shown.length} works`;
  const c = card(
    title,
    'drill-card',
    ...table(
      shown,
      [
        { key: 'year', label: 'year', num: true },
        { key: 'title', label: 'title' },
        { key: 'doi', label: 'DOI' },
        { key: 'countries', label: 'countries' },
        { key: 'institutions', label: 'institutions' },
        { key: 'companies', label: 'companies' },
        { key: 'records', label: 'source records' },
      ],
      'drill-table',
    ),
  );
  // A list of works reads across the page.
  c.classList.add('wide');
  return [c];
}

const NETWORK_LEVELS = [
  ['', 'every institution'],
  ['0.5', 'listed or ambiguous'],
  ['1', 'listed, any level'],
  ['2', 'listed, medium or higher'],
  ['3', 'listed, high or higher'],
  ['4', 'listed, very high'],
];

/**
 * The collaboration network, interactive: zoom (wheel, buttons) and pan (drag); hovering a node
 * names it with its level and links, hovering a link its co-publications; a node or a link leads
 * to its works. Pairs can be narrowed to those with a listed end, and nodes coloured by community
 * or by country. The view's choices live in the address, so a view can be shared.
 */
async function network(query) {
  const pairs = await indicator('top-pairs', { regions: 'EU27AC,CN', limit: '300' });
  const levels = await riskOf(pairs.flatMap((p) => [p.aId, p.bId]));
  const layout = networkLayout(pairs);
  const state = { level: query.get('level') ?? '', colour: query.get('colour') === 'country' ? 'country' : 'community' };
  const worksOf = (id, partner) => `#/works/EU27AC,CN?institution=${id}${partner ? `&partner=${partner}` : ''}`;
  const info = h('div', { class: 'network-info', 'data-testid': 'network-info', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Point at a node or a link to see it here; click it for its works.'));
  const holder = h('div', { class: 'network-holder' });
  const legendBox = h('div', { class: 'legend' });
  const levelSelect = h('select', { name: 'network-level', 'aria-label': 'show pairs with' }, ...NETWORK_LEVELS.map(([v, label]) => h('option', { value: v, ...(v === state.level ? { selected: '' } : {}) }, label)));
  const colourSelect = h('select', { name: 'network-colour', 'aria-label': 'colour nodes by' }, h('option', { value: 'community' }, 'community'), h('option', { value: 'country' }, 'country'));
  colourSelect.value = state.colour;
  const zoomIn = h('button', { type: 'button', 'data-testid': 'zoom-in', title: 'zoom in' }, '+');
  const zoomOut = h('button', { type: 'button', 'data-testid': 'zoom-out', title: 'zoom out' }, '−');
  const reset = h('button', { type: 'button', 'data-testid': 'zoom-reset', title: 'the whole network' }, 'Fit');
  const shown = h('span', { class: 'muted', 'data-testid': 'network-shown' });
  let svg;
  let view = { k: 1, x: 0, y: 0 };
  const apply = () => {
    const g = svg.querySelector('g[data-testid=network-view]');
    g.setAttribute('transform', `translate(${view.x} ${view.y}) scale(${view.k})`);
    // Names stay 11 px on the screen however wide the drawing is shown and however far it is zoomed.
    const shownWidth = svg.getBoundingClientRect().width;
    g.style.fontSize = `${(11 * (shownWidth ? layout.width / shownWidth : 1)) / view.k}px`;
    svg.dataset.zoom = view.k.toFixed(2);
    svg.style.touchAction = view.k > 1 ? 'none' : 'pan-y';
  };
  const zoomAt = (factor, cx = layout.width / 2, cy = layout.height / 2) => {
    const k = Math.min(12, Math.max(1, view.k * factor));
    view = { k, x: k === 1 ? 0 : cx - ((cx - view.x) * k) / view.k, y: k === 1 ? 0 : cy - ((cy - view.y) * k) / view.k };
    apply();
  };
  const keep = () => {
    const next = new URLSearchParams(location.hash.split('?')[1] ?? '');
    for (const [key, value, unset] of [
      ['level', state.level, ''],
      ['colour', state.colour, 'community'],
    ])
      if (value === unset) next.delete(key);
      else next.set(key, value);
    history.replaceState(null, '', `#/network${next.size ? `?${next}` : ''}`);
  };
  const describeNode = (n) => {
    const partners = n.links.map((l) => ({ other: l.a === n ? l.b : l.a, weight: l.weight })).sort((x, y) => y.weight - x.weight);
    info.replaceChildren(
      h('h3', {}, n.name, ...riskMarks(n.id, levels, n.side === 'b')),
      h('p', { class: 'muted' }, `${n.country || 'country unknown'} · ${n.weight} co-publication${n.weight === 1 ? '' : 's'} in the ${pairs.length} strongest pairs · ${cluster(n).key}`),
      h(
        'ul',
        { 'data-testid': 'network-partners' },
        ...partners.slice(0, 8).map((p) => h('li', {}, h('a', { href: worksOf(n.id, p.other.id) }, p.other.name), ` — ${p.weight}`, levels.get(p.other.id)?.state === 'listed' ? h('span', { class: `badge level-${levels.get(p.other.id).level}` }, levelWords(levels.get(p.other.id).level)) : '')),
      ),
      partners.length > 8 ? h('p', { class: 'muted' }, `and ${partners.length - 8} more`) : '',
      h('p', {}, h('a', { href: worksOf(n.id) }, 'Its works'), ' · ', h('a', { href: `#/institution/${n.id}` }, 'Profile')),
    );
  };
  const describeLink = (l) => info.replaceChildren(h('h3', {}, `${l.a.name} – ${l.b.name}`), h('p', {}, `${l.weight} co-publication${l.weight === 1 ? '' : 's'}`), h('p', {}, h('a', { href: worksOf(l.a.id, l.b.id) }, 'The works')));
  let cluster;
  const draw = () => {
    const min = state.level === '' ? 0 : Number(state.level);
    const kept = min === 0 ? layout.links : layout.links.filter((l) => Math.max(levelRank(levels.get(l.a.id)), levelRank(levels.get(l.b.id))) >= min);
    const ids = new Set(kept.flatMap((l) => [l.a.id, l.b.id]));
    cluster = clusterOf(layout, state.colour);
    // A phone names fewer nodes: its names are as large on the screen as a desktop's.
    svg = networkChart({ ...layout, links: kept, nodes: layout.nodes.filter((n) => ids.has(n.id)) }, { levels, cluster, worksOf, labels: window.innerWidth < 700 ? 10 : 30 });
    svg.classList.add('network');
    new ResizeObserver(apply).observe(svg);
    const byId = new Map(layout.nodes.map((n) => [n.id, n]));
    const linkOf = new Map(kept.map((l) => [`${l.a.id} ${l.b.id}`, l]));
    const lit = (id) => {
      for (const a of svg.querySelectorAll('a[data-link]')) a.classList.toggle('dim', id !== null && !a.getAttribute('data-link').split(' ').includes(id));
    };
    svg.addEventListener('pointerover', (e) => {
      const target = /** @type {Element} */ (e.target).closest('a[data-node-link], a[data-link]');
      const node = target?.getAttribute('data-node-link');
      if (node) {
        describeNode(byId.get(node));
        lit(node);
      } else if (target) describeLink(linkOf.get(target.getAttribute('data-link')));
    });
    svg.addEventListener('focusin', (e) => {
      const node = /** @type {Element} */ (e.target).closest('a[data-node-link]')?.getAttribute('data-node-link');
      if (node) describeNode(byId.get(node));
    });
    svg.addEventListener('pointerleave', () => lit(null));
    svg.addEventListener('wheel', (e) => {
      e.preventDefault();
      const box = svg.getBoundingClientRect();
      zoomAt(e.deltaY < 0 ? 1.25 : 0.8, ((e.clientX - box.left) / box.width) * layout.width, ((e.clientY - box.top) / box.height) * layout.height);
    });
    // Dragging pans; a drag that ends on a node is not a click on it. Two fingers pinch to zoom
    // about the point between them (touch-action keeps the browser from zooming the whole page).
    let drag = null;
    const touches = new Map();
    let pinch = null;
    const spread = () => {
      const [a, b] = [...touches.values()];
      return { d: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    };
    svg.addEventListener('pointerdown', (e) => {
      if (e.pointerType === 'touch') {
        touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
        if (touches.size === 2) {
          pinch = spread();
          drag = null;
          return;
        }
      }
      if (e.pointerType !== 'mouse' && view.k === 1) return;
      drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
    });
    svg.addEventListener('pointermove', (e) => {
      if (touches.has(e.pointerId)) touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (pinch && touches.size === 2) {
        const now = spread();
        const box = svg.getBoundingClientRect();
        if (pinch.d > 0) zoomAt(now.d / pinch.d, ((now.x - box.left) / box.width) * layout.width, ((now.y - box.top) / box.height) * layout.height);
        pinch = now;
        return;
      }
      if (!drag) return;
      const scale = layout.width / svg.getBoundingClientRect().width;
      if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 4) drag.moved = true;
      if (!drag.moved) return;
      view = { ...view, x: drag.vx + (e.clientX - drag.x) * scale, y: drag.vy + (e.clientY - drag.y) * scale };
      apply();
    });
    const lift = (e) => {
      touches.delete(e.pointerId);
      if (touches.size < 2) pinch = null;
    };
    svg.addEventListener('pointercancel', lift);
    svg.addEventListener('pointerup', (e) => {
      lift(e);
      if (drag?.moved) {
        // The click that ends a drag (if the browser sends one) opens nothing; none lingers for the next.
        const swallow = (e) => e.preventDefault();
        svg.addEventListener('click', swallow, { once: true, capture: true });
        setTimeout(() => svg.removeEventListener('click', swallow, { capture: true }), 0);
      }
      drag = null;
    });
    apply();
    holder.replaceChildren(svg);
    const clusters = new Map();
    for (const n of layout.nodes) if (ids.has(n.id)) clusters.set(cluster(n).key, cluster(n).colour);
    legendBox.replaceChildren(
      ...[...clusters].slice(0, 10).map(([key, colour]) => {
        const swatch = h('i', { class: 'dot' });
        swatch.style.background = colour;
        return h('span', {}, swatch, key);
      }),
      clusters.size > 10 ? h('span', { class: 'muted' }, `${clusters.size - 10} more in grey`) : '',
      h('span', {}, h('i', { class: 'dot ring' }), 'listed (red ring; dashed: ambiguous)'),
    );
    const listed = [...ids].filter((id) => levels.get(id)?.state === 'listed').length;
    shown.textContent = `${kept.length} of ${layout.links.length} pairs, ${ids.size} institutions, ${listed} listed`;
  };
  levelSelect.addEventListener('change', () => {
    state.level = levelSelect.value;
    keep();
    draw();
  });
  colourSelect.addEventListener('change', () => {
    state.colour = colourSelect.value;
    keep();
    draw();
  });
  zoomIn.addEventListener('click', () => zoomAt(1.5));
  zoomOut.addEventListener('click', () => zoomAt(1 / 1.5));
  reset.addEventListener('click', () => {
    view = { k: 1, x: 0, y: 0 };
    apply();
  });
  draw();
  const c = card(
    `Collaboration network, EU27/AC–China: the ${pairs.length} strongest pairs`,
    'network-card',
    h(
      'p',
      { class: 'muted' },
      'Institutions are placed by their links (a force layout) and coloured by cluster: a community is a group of institutions that co-publish more among themselves. A node’s size is its co-publications in the pairs shown. Scroll, pinch or use + and − to zoom, drag to pan.',
    ),
    missingLevels(levels),
    h('form', { class: 'network-controls inline', 'data-testid': 'network-controls' }, h('label', {}, 'Show pairs with ', levelSelect), h('label', { title: explain('community') }, 'Colour by ', colourSelect), h('span', { class: 'zoom' }, zoomOut, zoomIn, reset), shown),
    legendBox,
    h('div', { class: 'network-layout' }, h('div', { class: 'network-canvas' }, h('span', { class: 'tools' }, h('button', { type: 'button', class: 'svg-download' }, 'SVG')), holder), info),
  );
  c.querySelector('.svg-download').addEventListener('click', () => download('network.svg', new Blob([new XMLSerializer().serializeToString(svg)], { type: 'image/svg+xml' })));
  c.classList.add('wide');
  return [c];
}

async function facts() {
  const list = await api('/api/facts', viewFilters());
  const narrowed = filterWords();
  const c = card(
    'The brief\u2019s published facts against the loaded data',
    'facts-card',
    h('p', { class: 'muted', 'data-testid': 'facts-scope' }, narrowed ? `Checked under the filters: ${narrowed}. A fact whose years the filters leave out has not enough data; the brief counts in full.` : 'Checked on all the loaded works, counted in full as the brief counts.'),
    h('p', { class: 'muted' }, `A verdict resting on fewer than ${corpus.smallSample} works on either side is too few to judge: a difference of a few works is noise.`),
    ...list.map((f) =>
      h(
        'div',
        { class: `fact ${f.tooFew ? 'too-few' : f.verdict.replace(/ /g, '-')}`, 'data-fact': f.id },
        h('strong', { class: 'judgement' }, `[${f.judgement}] `),
        f.claim,
        h('div', { class: 'muted data-says' }, `data: ${f.dataSays}`),
        ...(f.basis.length ? [h('div', { class: 'muted fact-basis' }, `works: ${f.basis.map((b) => `${b.of}: ${b.works}`).join('; ')}`)] : []),
        h('div', { class: 'muted' }, f.source),
      ),
    ),
  );
  c.classList.add('wide');
  return [c];
}

let tables = 0;
const rowsTable = (rows, columns) =>
  h(
    'div',
    {},
    ...table(
      rows,
      columns.map(([key, label]) => ({ key, label, num: rows.length > 0 && rows.every((r) => typeof r[key] === 'number') })),
      `screening-${++tables}`,
    ),
  );

const STATE_LABEL = { listed: 'Listed', ambiguous: 'Ambiguous: which one?', 'not-listed': 'Recognised, not listed', unknown: 'Unknown organisation' };
const levelWords = (level) => (level ? level.replace('-', ' ') : '');

/** A risk level as a coloured badge (very high, high, medium, low). */
function levelBadge(level) {
  return h('span', { class: `badge level-${level}`, 'data-level': level }, levelWords(level));
}

/** The answer of one screening: a headline in the state's colour, never a bare "no hits". */
function screenAnswer(r) {
  const head = h('div', { class: `screen-state state-${r.state}`, 'data-testid': 'screen-state', 'data-state': r.state }, h('strong', {}, STATE_LABEL[r.state]), ' ', r.level ? levelBadge(r.level) : '', h('p', {}, r.headline));
  const nodes = [head];
  for (const o of r.organisations) {
    const rows = o.listings.map((l) => ({ list: l.list_name, entry: l.entry, level: levelWords(l.level), how: l.how }));
    nodes.push(
      h(
        'div',
        { class: 'organisation', 'data-testid': 'organisation' },
        h('h3', {}, levelBadge(o.level), ' ', o.name, h('span', { class: 'muted' }, ` · ${o.listings.length} listing${o.listings.length === 1 ? '' : 's'}`)),
        rowsTable(rows, [
          ['list', 'List'],
          ['entry', 'Listed as'],
          ['level', 'Level'],
          ['how', 'How it matched'],
        ]),
      ),
    );
  }
  nodes.push(...namesakeBlock(h, r.query, r.namesake_decisions ?? []));
  if (r.choices.length) {
    nodes.push(h('div', { class: 'choices', 'data-testid': 'choices' }, h('p', {}, 'Say which one:'), ...r.choices.map((c) => h('a', { class: `button choice${c.listed ? ' listed' : ''}`, href: `#/screen/name/${encodeURIComponent(c.query)}` }, c.label))));
  }
  if (r.registry_candidates.length) {
    nodes.push(
      h('h3', {}, 'Nearest registry institutions (not taken)'),
      rowsTable(
        r.registry_candidates.map((c) => ({ name: c.name, country: c.countryCode ?? '', why: c.why })),
        [
          ['name', 'Institution'],
          ['country', 'Country'],
          ['why', 'Why it was not taken'],
        ],
      ),
    );
  }
  return nodes;
}

function similarCard(r) {
  const body = r.similar.length
    ? rowsTable(
        r.similar.map((s) => ({ entry: s.entry, list: s.listName, level: levelWords(s.level), why: s.why })),
        [
          ['entry', 'Listed name'],
          ['list', 'List'],
          ['level', 'Level'],
          ['why', 'Why it was not taken'],
        ],
      )
    : h('p', {}, r.state === 'listed' ? 'No other listed name is close.' : 'No listed name shares a distinctive word with it.');
  return card('Nearest listed names (not matches)', 'similar-card', body);
}

async function batchResult(text) {
  const b = await send('POST', '/api/screen/batch', { text });
  const rows = b.rows.map((r) => ({ name: r.query, state: STATE_LABEL[r.state], level: levelWords(r.level), organisations: r.organisations.join('; '), lists: r.lists.join('; '), stateKey: r.state }));
  const counted = { listed: 'listed', ambiguous: 'ambiguous (say which one)', unknown: 'unknown organisation', 'not-listed': 'recognised, not listed' };
  const summary = Object.entries(b.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${counted[s]}`)
    .join(' · ');
  const t = table(
    rows,
    [
      { key: 'name', label: 'Name', href: (r) => `#/screen/name/${encodeURIComponent(r.name)}` },
      { key: 'state', label: 'State' },
      { key: 'level', label: 'Level' },
      { key: 'organisations', label: 'Organisations' },
      { key: 'lists', label: 'Lists' },
    ],
    'batch-table',
    undefined,
    (tr, r) => {
      tr.dataset.state = r.stateKey;
      tr.classList.add(`state-${r.stateKey}`);
    },
  );
  return card(
    `${b.rows.length} names screened`,
    'batch-card',
    h('div', { class: `screen-state state-${b.state}`, 'data-state': b.state }, h('strong', {}, summary), b.counts.unknown ? h('p', {}, 'Unknown organisations: identify them before relying on this. No listing found is not a clearance.') : ''),
    ...t,
  );
}

const STAGE_WORDS = { read: 'Reading records', resolve: 'Resolving affiliations', screen: 'Screening partners', refresh: 'Updating the figures' };

/**
 * Sends an export and follows its ingest job: the button stays disabled and the stage and its
 * progress show until the job ends; then the ingest report, or the server's reason the file was refused.
 */
async function uploadExport(form, status) {
  const file = form.elements.file.files[0];
  if (!file) return;
  const button = form.querySelector('button');
  button.disabled = true;
  button.textContent = 'Uploading…';
  const bar = h('progress', {});
  const line = h('span', {}, `Sending ${file.name} (${Math.ceil(file.size / 1024)} KB)…`);
  status.replaceChildren(h('div', { id: 'upload-progress', class: 'upload-progress' }, line, bar));
  try {
    const started = await send('POST', `/api/uploads?kind=${form.elements.kind.value}&name=${encodeURIComponent(file.name)}`, file, 'application/octet-stream', { prefer: 'respond-async' });
    let job = await api(`/api/uploads/jobs/${started.job}`);
    while (job.status === 'queued' || job.status === 'running') {
      const now = job.stage ? job.progress[job.stage] : undefined;
      line.textContent = job.stage ? `${STAGE_WORDS[job.stage] ?? job.stage}${now ? `: ${now.done.toLocaleString('en')} of ${now.total.toLocaleString('en')} ${now.unit}` : '…'}` : 'Waiting for the ingest to start…';
      if (now && now.total > 0) Object.assign(bar, { max: now.total, value: now.done });
      else bar.removeAttribute('value');
      await new Promise((resolve) => setTimeout(resolve, 700));
      job = await api(`/api/uploads/jobs/${started.job}`);
    }
    if (job.status !== 'done') throw new Error(job.error?.message ?? 'the upload failed');
    status.replaceChildren(await uploadReport(file.name, job.result));
  } catch (err) {
    status.replaceChildren(h('p', { id: 'upload-error', class: 'error', role: 'alert' }, `${file.name}: ${err.message}`));
  } finally {
    button.disabled = false;
    button.textContent = 'Upload';
  }
}

/** What an upload kept and set aside, the commonest reasons first, and the way on to its screening. */
async function uploadReport(name, r) {
  const counts = h('p', {}, h('strong', {}, `${r.kept.toLocaleString('en')} records kept`), `, ${r.duplicates.toLocaleString('en')} already known, `, h('strong', { class: r.quarantined > 0 ? 'warn' : '' }, `${r.quarantined.toLocaleString('en')} quarantined`));
  const parts = [counts];
  if (r.doiGained > 0) parts.push(h('p', {}, `${r.doiGained.toLocaleString('en')} records gained a DOI: uploaded before without one and given again with it, all else the same (among those already known).`));
  for (const warning of r.warnings ?? []) parts.push(h('p', { class: 'warn' }, `Warning: ${warning}`));
  if (r.quarantined > 0) {
    const rows = await api(`/api/uploads/${r.fileId}/quarantine`);
    const byReason = new Map();
    for (const q of rows) byReason.set(q.reason, [...(byReason.get(q.reason) ?? []), q.lineNo === null ? `record ${q.recordNo}` : `line ${q.lineNo}`]);
    const reasons = [...byReason].sort((a, b) => b[1].length - a[1].length);
    const shown = reasons.slice(0, 5);
    parts.push(h('h4', {}, 'Set aside, and why'), h('ul', { class: 'quarantine-reasons' }, ...shown.map(([reason, lines]) => h('li', {}, h('strong', {}, reason), ` — ${lines.length} record${lines.length === 1 ? '' : 's'} (${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ', …' : ''})`))));
    if (reasons.length > shown.length) parts.push(h('p', { class: 'muted' }, `and ${reasons.length - shown.length} more reasons`));
    parts.push(h('p', { class: 'muted' }, 'The records set aside are kept with the upload; fix them in the export and upload it again.'));
  }
  if (r.kept + r.duplicates > 0) parts.push(h('p', {}, h('a', { href: `#/screen/export/${r.fileId}` }, 'Screen its co-publications against the risk lists')));
  return h('section', { id: 'upload-report', class: 'upload-report' }, h('h4', {}, r.status === 'already ingested' ? `${name} was ingested before` : `${name} ingested`), ...parts);
}

// Screening: one name (or ROR id), many names at once, and an institution's portfolio of co-publications with listed entities.
async function screening(kind, arg) {
  const nameForm = h('form', { id: 'screen-form', class: 'inline' }, h('label', {}, 'Name or ROR id ', h('input', { name: 'q', required: '', maxlength: '500', value: kind === 'name' ? (arg ?? '') : '' })), h('button', { type: 'submit' }, 'Screen'));
  nameForm.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/screen/name/${encodeURIComponent(nameForm.elements.q.value)}`;
  });
  const batchForm = h(
    'form',
    { id: 'batch-form', class: 'batch' },
    h('label', { class: 'field wide' }, 'Many names (one per line, or a CSV with a "name" column) ', h('textarea', { name: 'names', rows: '4', placeholder: 'Harbin Institute of Technology\nNortheastern University, China\nUniversity of Oxford' })),
    h('label', {}, 'or a file ', h('input', { name: 'file', type: 'file', accept: '.csv,.txt,text/csv,text/plain' })),
    h('button', { type: 'submit' }, 'Screen all'),
  );
  const batchOut = h('div', { class: 'batch-out' });
  batchForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = batchForm.elements.file.files[0];
    const text = file ? await file.text() : batchForm.elements.names.value;
    const button = batchForm.querySelector('button');
    button.disabled = true;
    button.textContent = 'Screening…';
    try {
      errorBox.hidden = true;
      batchOut.replaceChildren(await batchResult(text));
    } catch (err) {
      errorBox.textContent = err.message;
      errorBox.hidden = false;
    } finally {
      button.disabled = false;
      button.textContent = 'Screen all';
    }
  });
  // The portfolio is an institution's: chosen by name from the registry's suggestions (a ROR id typed works too).
  const rorInput = h('input', { name: 'ror', type: 'hidden', value: kind === 'portfolio' ? (arg ?? '') : '' });
  const institutionInput = h('input', { name: 'institution', required: '', maxlength: '200', placeholder: 'type a name, pick it', 'aria-label': 'institution' });
  const portfolioNote = h('span', { class: 'muted', role: 'status' });
  const portfolioForm = h(
    'form',
    { id: 'portfolio-form', class: 'inline' },
    h(
      'label',
      {},
      'Institution ',
      institutionPicker(
        institutionInput,
        (r) => {
          rorInput.value = r.rorId;
          portfolioNote.textContent = `ROR ${r.rorId}`;
        },
        () => {
          rorInput.value = '';
          portfolioNote.textContent = '';
        },
      ),
    ),
    rorInput,
    h('button', { type: 'submit' }, 'Portfolio'),
    portfolioNote,
  );
  portfolioForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const typed = /^(?:https:\/\/ror\.org\/)?(0[a-z0-9]{6}[0-9]{2})$/.exec(institutionInput.value.trim())?.[1];
    const ror = rorInput.value || typed;
    if (!ror) {
      portfolioNote.textContent = 'Pick the institution from the suggestions (or give its ROR id).';
      return;
    }
    location.hash = `#/screen/portfolio/${encodeURIComponent(ror)}`;
  });
  const uploadForm = h(
    'form',
    { id: 'upload-form', class: 'inline' },
    h('label', {}, 'Publication export ', h('input', { name: 'file', type: 'file', required: '' })),
    h('select', { name: 'kind' }, h('option', { value: 'wos' }, 'Web of Science'), h('option', { value: 'scopus' }, 'Scopus CSV'), h('option', { value: 'openalex' }, 'OpenAlex JSON Lines')),
    h('button', { type: 'submit' }, 'Upload'),
  );
  const uploadStatus = h('div', { id: 'upload-status', 'aria-live': 'polite' });
  uploadForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void uploadExport(uploadForm, uploadStatus);
  });
  const nodes = [card('Screen a partner against the risk lists', 'screen-card', nameForm, batchForm, batchOut, portfolioForm, uploadForm, uploadStatus)];
  // The answer comes first and reads across the page: on a phone the forms would push it off the first screen.
  // The route brings it into view (and focus) after a form below was used.
  const wide = (c) => {
    c.classList.add('wide');
    c.setAttribute('data-answer', '');
    c.setAttribute('tabindex', '-1');
    return c;
  };
  if (kind === 'name' && arg) {
    const r = await api('/api/screen', new URLSearchParams({ q: arg }));
    nodes.unshift(wide(card(`Screening of “${r.query}”`, 'hits-card', ...screenAnswer(r), h('p', {}, h('a', { href: `#/screen/brief/${encodeURIComponent(arg)}` }, 'Briefing sheet')))));
    nodes.push(similarCard(r));
  }
  if (kind === 'brief' && arg) {
    const b = await api('/api/brief', new URLSearchParams({ q: arg }));
    nodes.unshift(
      wide(
        card(
          `Briefing: ${b.partner}`,
          'brief-card',
          rowsTable(b.listings, [
            ['listName', 'List'],
            ['entry', 'Entry'],
            ['level', 'Level'],
            ['sourceText', 'What the list says'],
          ]),
          h('h3', {}, 'Co-publications in the loaded data'),
          h('p', {}, b.history.map((y) => `${y.year}: ${y.works}`).join(' · ') || 'none found'),
          h('h3', {}, 'Chinese rules that bind this partner'),
          h('ul', {}, ...b.rules.map((x) => h('li', {}, h('strong', {}, x.title), ` — ${x.summary} `, h('span', { class: 'muted' }, `(${x.source})`)))),
        ),
      ),
    );
  }
  if ((kind === 'portfolio' || kind === 'export') && arg) {
    const scope = new URLSearchParams(kind === 'portfolio' ? { ror: arg } : { file: arg });
    const p = await api('/api/portfolio', scope);
    // Named, not a bare ROR id: the registry's name, in the title and in the picker.
    const named = kind === 'portfolio' ? (await api('/api/institutions', new URLSearchParams({ q: arg })))[0] : null;
    if (named) institutionInput.value = named.name;
    const csv = h('a', { href: `/api/portfolio?${scope}&format=csv`, download: `portfolio-${arg.slice(0, 12)}.csv` }, 'CSV of every flagged co-publication');
    const cols = [
      ['name', 'Name'],
      ['volume', 'Volume'],
      ['sensitivity', 'Sensitivity'],
      ['partnerLevel', 'Partner level'],
      ['partnerRisk', 'Partner risk'],
      ['weight', 'Weight'],
      ['years', 'Years'],
    ];
    nodes.unshift(
      wide(
        card(
          `Portfolio of ${named ? `${named.name} (ROR ${named.rorId})` : p.scope}: ${p.flagged.length} of ${p.works} works with a listed partner`,
          'portfolio-card',
          h('p', { class: 'muted' }, p.method),
          csv,
          h('h3', {}, 'Partner institutions'),
          rowsTable(p.partners, cols),
          h('h3', {}, 'Researchers'),
          rowsTable(p.researchers.slice(0, 25), cols),
          h('h3', {}, 'Departments'),
          rowsTable(p.departments.slice(0, 25), cols),
          h('h3', {}, 'Flagged co-publications'),
          rowsTable(
            p.flagged.map((w) => ({ year: w.year, title: `${w.retracted ? 'RETRACTED ' : ''}${w.title ?? w.workId}`, fields: w.fields.join(', '), partners: w.partners.map((x) => `${x.entry} (${x.listName}, ${x.level})`).join('; ') })),
            [
              ['year', 'Year'],
              ['title', 'Title'],
              ['fields', 'Fields'],
              ['partners', 'Listed partners'],
            ],
          ),
        ),
      ),
    );
  }
  return nodes;
}

const cases = casesModule({ h, api, apiPage, pager, send, card, rowsTable, institutionPicker, screenedBadge });
const account = accountModule({ h, api, send, card });
const alerts = alertsModule({ h, apiCursor, send, card });
const kb = kbModule({ h, api, send, card, rowsTable });
const exchange = exchangeModule({ h, api, send, card });

// Filters can change faster than answers arrive: only the latest request may draw.
let latest = 0;

async function route() {
  const mine = ++latest;
  // An address may end in ?query (a list's search, sorting and page): the view reads it, the path names the view.
  const [hashPath, hashQuery = ''] = location.hash.split('?');
  const [, view, arg] = hashPath.split('/');
  form.hidden = view === 'cases' || view === 'screen' || view === 'account' || view === 'kb' || view === 'exchange' || view === 'alerts' || view === 'glossary';
  const fieldSelect = /** @type {HTMLSelectElement} */ (form.elements.namedItem('field'));
  if (!form.hidden) shown = filtersInAddress(hashPath, new URLSearchParams(hashQuery));
  if (view === 'field' && arg && fieldSelect.value !== arg) fieldSelect.value = arg;
  try {
    // The note first: the views' tables read the partial year and the sample size from it.
    const note = form.hidden ? null : await corpusLine();
    const nodes =
      view === 'institution' && arg
        ? await institution(decodeURIComponent(arg))
        : view === 'works' && arg
          ? await works(decodeURIComponent(arg), hashPath.split('/')[3], new URLSearchParams(hashQuery))
          : view === 'network'
            ? await network(new URLSearchParams(hashQuery))
            : view === 'facts'
              ? await facts()
              : view === 'glossary'
                ? glossaryView()
                : view === 'account'
                  ? await account.show()
                  : view === 'alerts'
                    ? await alerts.show(new URLSearchParams(hashQuery))
                    : view === 'cases'
                      ? await (arg === 'new' ? cases.form() : arg ? cases.show(decodeURIComponent(arg)) : cases.list(new URLSearchParams(hashQuery)))
                      : view === 'exchange'
                        ? await exchange.show(arg)
                        : view === 'kb'
                          ? await kb.route(location.hash.split('/').slice(2).map(decodeURIComponent))
                          : view === 'screen'
                            ? await screening(arg, location.hash.split('/')[3] === undefined ? undefined : decodeURIComponent(location.hash.split('/').slice(3).join('/')))
                            : await landscape(view === 'field' ? arg : null);
    if (mine !== latest) return;
    errorBox.hidden = true;
    page.replaceChildren(...(form.hidden ? [] : [note]), ...nodes);
    const answer = /** @type {HTMLElement | null} */ (page.querySelector('[data-answer]'));
    if (answer) {
      answer.scrollIntoView({ block: 'start' });
      answer.focus({ preventScroll: true });
    }
  } catch (e) {
    if (mine !== latest) return;
    if (e instanceof LoginRequired) {
      page.replaceChildren(...loginView());
      return;
    }
    errorBox.textContent = e.message;
    errorBox.hidden = false;
    page.replaceChildren();
  }
}

/** The glossary's terms by id (read once at the start). */
let glossary = new Map();
const explain = (id) => (glossary.has(id) ? `${glossary.get(id).term}: ${glossary.get(id).definition}` : '');

function glossaryView() {
  const c = card(
    'Glossary',
    'glossary-card',
    h('p', { class: 'muted' }, 'The words this app uses. The same definitions show as tooltips where the words appear.'),
    h('dl', { class: 'glossary' }, ...[...glossary.values()].flatMap((t) => [h('dt', { id: `term-${t.id}` }, t.term), h('dd', {}, t.definition, h('span', { class: 'muted' }, ` (${t.source})`))])),
  );
  c.classList.add('wide');
  return [c];
}

let started = false;

// The console's address carries a one-time login code in the fragment (never sent to the server
// by the browser): exchange it for a session once, and take it out of the address bar and history.
async function redeemLoginCode() {
  const code = /^#code=([A-Za-z0-9_-]{1,100})$/.exec(location.hash)?.[1];
  if (!code) return;
  history.replaceState(null, '', `${location.pathname}#/`);
  try {
    csrf = (await send('POST', '/api/login/code', { code })).csrf;
  } catch (e) {
    errorBox.textContent = e.message;
    errorBox.hidden = false;
  }
}

async function start() {
  let fields;
  await redeemLoginCode();
  try {
    csrf = (await api('/api/session')).csrf;
    [fields, glossary] = await Promise.all([api('/api/fields').then((b) => b.fields), api('/api/glossary').then((b) => new Map(b.terms.map((t) => [t.id, t])))]);
  } catch (e) {
    if (!(e instanceof LoginRequired)) throw e;
    form.hidden = true;
    page.replaceChildren(...loginView());
    document.body.dataset.ready = 'true';
    return;
  }
  errorBox.hidden = true;
  if (started) return route();
  started = true;
  for (const f of fields) /** @type {HTMLSelectElement} */ (form.elements.namedItem('field')).append(h('option', { value: f.id }, f.name));
  // The filter bar's words explained where they stand (the Glossary page has them all).
  for (const [name, ids] of /** @type {[string, string[]][]} */ ([
    ['counting', ['full', 'fractional']],
    ['china_hk', ['china_hk']],
    ['china_mo', ['china_mo']],
    ['rollup', ['rollup']],
  ]))
    /** @type {HTMLElement} */ (form.elements.namedItem(name)).closest('label').title = ids.map(explain).join('\n');

  form.addEventListener('change', (event) => {
    // In a field view the field is part of the address: changing it moves to that view.
    const target = /** @type {HTMLInputElement | HTMLSelectElement} */ (event.target);
    if (target.name === 'field' && location.hash.startsWith('#/field/')) {
      writtenByForm = target.value ? `#/field/${target.value}${filterQuery()}` : `#/${filterQuery()}`;
      location.hash = writtenByForm;
      return;
    }
    const [path, query = ''] = location.hash.split('?');
    const next = `${path || '#/'}${filterQuery(new URLSearchParams(query))}`;
    writtenByForm = next;
    if (next === location.hash) route();
    else location.hash = next;
  });
  window.addEventListener('hashchange', route);
  await route();
  document.body.dataset.ready = 'true';
}

start();
