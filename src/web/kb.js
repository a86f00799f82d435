// @ts-check
// Knowledge base of the policy and standards landscape: search (English and Chinese), entries with
// their sources and review, the timeline, what changed, version diffs, and the links between
// entries, rulebook criteria and stored verdicts. Every text from the server goes in through
// textContent (via h), never as HTML.
import { COLOURS, shownText } from './charts.js';

const NS = 'http://www.w3.org/2000/svg';

function svgEl(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = shownText(text);
  return node;
}

const enc = encodeURIComponent;
const entryHref = (id) => `#/kb/entry/${enc(id)}`;
const day = (iso) => (iso ? iso.slice(0, 10) : '');

// A partial date ("2017", "2017-07", "2017-07-01") as a fraction of a year, for placing it on the axis.
function yearOf(date) {
  const [y, m = 1, d = 1] = date.split('-').map(Number);
  const precise = date.length === 10 ? (m - 1) / 12 + (d - 1) / 365 : date.length === 7 ? (m - 1) / 12 + 1 / 24 : 0.5;
  return y + precise;
}

export function kbModule({ h, api, send, card, rowsTable }) {
  let vocabulary = null;
  let me = null;
  const vocab = async () => (vocabulary ??= await api('/api/kb/vocabulary'));
  const session = async () => (me ??= (await api('/api/session')).user);
  const rank = (role) => ['viewer', 'analyst', 'officer', 'admin'].indexOf(role);
  const label = (list, id) => list.find((x) => x.id === id)?.label ?? id;
  const badge = (state) => h('span', { class: `badge kb-${state}` }, state);
  const links = (...items) => h('p', { class: 'kb-nav' }, ...items.flatMap(([href, text], i) => [i ? ' · ' : '', h('a', { href }, text)]));
  const nav = () => links(['#/kb', 'Search'], ['#/kb/timeline', 'Timeline'], [`#/kb/changes/${new Date(Date.now() - 30 * 86400_000).toISOString().slice(0, 10)}`, 'What changed'], ['#/kb/new', 'New entry']);
  const select = (name, options, value, empty) => {
    const s = h('select', { name });
    s.append(h('option', { value: '' }, empty));
    for (const [v, text] of options) s.append(h('option', { value: v, ...(v === value ? { selected: '' } : {}) }, text));
    return s;
  };

  async function search(params) {
    const v = await vocab();
    const f = h(
      'form',
      { id: 'kb-search', class: 'inline kb-search' },
      h('input', { name: 'q', type: 'search', maxlength: '300', placeholder: 'search: e.g. data localisation, 标准化, generative AI', value: params.get('q') ?? '' }),
      select(
        'topic',
        v.topics.map((t) => [t.id, t.parent ? `  ${t.label}` : t.label]),
        params.get('topic'),
        'all topics',
      ),
      select(
        'jurisdiction',
        Object.entries(v.jurisdictions).filter(([k]) => ['CN', 'EU', 'INT'].includes(k) || params.get('jurisdiction') === k),
        params.get('jurisdiction'),
        'all jurisdictions',
      ),
      select(
        'type',
        v.types.map((t) => [t.id, t.label]),
        params.get('type'),
        'all types',
      ),
      select(
        'review',
        [
          ['draft', 'draft'],
          ['reviewed', 'reviewed'],
        ],
        params.get('review'),
        'any review state',
      ),
      h('button', { type: 'submit' }, 'Search'),
    );
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      for (const [k, val] of new FormData(f)) if (String(val).trim()) q.set(k, String(val).trim());
      location.hash = `#/kb/list/${enc(q.toString())}`;
    });
    const rows = await api('/api/kb/entries', params);
    const table = rows.length
      ? h(
          'table',
          { 'data-testid': 'kb-entries' },
          h('thead', {}, h('tr', {}, ...['Entry', 'Original title', 'Jurisdiction', 'Type', 'Status', 'Issued', 'Review'].map((c) => h('th', {}, c)))),
          h(
            'tbody',
            {},
            ...rows.map((e) =>
              h(
                'tr',
                { 'data-id': e.id },
                h('td', {}, h('a', { href: entryHref(e.id) }, e.title.en), e.matched ? h('div', { class: 'muted' }, `matched in ${e.matched.join(', ')}`) : ''),
                h('td', { lang: e.title.lang ?? '' }, e.title.original && e.title.original !== e.title.en ? e.title.original : ''),
                h('td', {}, e.jurisdiction),
                h('td', {}, label(v.types, e.type)),
                h('td', {}, label(v.statuses, e.status)),
                h('td', { class: 'kb-nowrap' }, e.dates.issued ?? ''),
                h('td', {}, badge(e.review.state)),
              ),
            ),
          ),
        )
      : h('p', {}, params.get('q') ? `Nothing matches “${params.get('q')}”.` : 'No entries match these filters.');
    const c = card(
      `Knowledge base: ${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}`,
      'kb-card',
      nav(),
      f,
      table,
      h('p', { class: 'muted' }, 'Laws, rules, standards, plans, initiatives and standards bodies of the landscape, each with its sources, dated status history and review. Search works in English and Chinese.'),
    );
    c.classList.add('wide');
    return [c];
  }

  function timelineSvg(events) {
    const lanes = [...new Set(events.map((e) => e.jurisdiction))];
    const years = events.map((e) => yearOf(e.date));
    const [lo, hi] = [Math.floor(Math.min(...years)), Math.ceil(Math.max(...years)) + (Math.max(...years) % 1 === 0 ? 1 : 0)];
    const width = 1000;
    const m = { l: 56, r: 20, t: 16, b: 30 };
    const lane = 46;
    const height = m.t + m.b + lanes.length * lane;
    const svg = svgEl('svg', { xmlns: NS, viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': 'timeline of the landscape', 'data-testid': 'kb-timeline-svg' });
    svg.append(svgEl('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }));
    const x = (v) => m.l + ((v - lo) / Math.max(1, hi - lo)) * (width - m.l - m.r);
    for (let y = lo; y <= hi; y++) {
      svg.append(svgEl('line', { x1: x(y), x2: x(y), y1: m.t, y2: height - m.b, stroke: '#eef0f3' }));
      if ((y - lo) % Math.max(1, Math.ceil((hi - lo) / 16)) === 0) svg.append(svgEl('text', { x: x(y), y: height - 10, 'text-anchor': 'middle' }, y));
    }
    const today = new Date();
    const now = today.getUTCFullYear() + today.getUTCMonth() / 12;
    if (now >= lo && now <= hi) {
      svg.append(svgEl('line', { x1: x(now), x2: x(now), y1: m.t, y2: height - m.b, stroke: '#d1495b', 'stroke-dasharray': '4 3' }));
      svg.append(svgEl('text', { x: x(now) + 4, y: m.t + 10, fill: '#d1495b' }, 'today'));
    }
    lanes.forEach((j, i) => {
      const y = m.t + i * lane + lane / 2;
      svg.append(svgEl('line', { x1: m.l, x2: width - m.r, y1: y, y2: y, stroke: '#dde1e7' }));
      svg.append(svgEl('text', { x: 8, y: y + 4 }, j));
      // Events on the same day in a lane are spread up and down so each stays clickable.
      const seen = new Map();
      for (const e of events.filter((ev) => ev.jurisdiction === j)) {
        const key = Math.round(x(yearOf(e.date)) / 6);
        const k = seen.get(key) ?? 0;
        seen.set(key, k + 1);
        const dy = (k % 2 ? 1 : -1) * Math.ceil(k / 2) * 7;
        const a = svgEl('a', { href: entryHref(e.entry) });
        const dot = svgEl('circle', { cx: x(yearOf(e.date)), cy: y + dy, r: e.date.length === 10 ? 5 : 4, fill: COLOURS[i % COLOURS.length], 'fill-opacity': e.date.length === 4 ? 0.45 : 0.9, 'data-entry': e.entry, 'data-date': e.date });
        dot.append(svgEl('title', {}, `${e.date} — ${e.title}: ${e.label}`));
        a.append(dot);
        svg.append(a);
      }
    });
    return svg;
  }

  async function timeline(params) {
    const v = await vocab();
    const f = h(
      'form',
      { id: 'kb-timeline-form', class: 'inline' },
      h('label', {}, 'From ', h('input', { name: 'from', pattern: '\\d{4}(-\\d{2}(-\\d{2})?)?', placeholder: 'YYYY[-MM[-DD]]', value: params.get('from') ?? '' })),
      h('label', {}, ' to ', h('input', { name: 'to', pattern: '\\d{4}(-\\d{2}(-\\d{2})?)?', placeholder: 'YYYY[-MM[-DD]]', value: params.get('to') ?? '' })),
      select(
        'jurisdiction',
        [
          ['CN', 'China'],
          ['EU', 'European Union'],
          ['INT', 'International'],
        ],
        params.get('jurisdiction'),
        'all jurisdictions',
      ),
      select(
        'topic',
        v.topics.map((t) => [t.id, t.label]),
        params.get('topic'),
        'all topics',
      ),
      h('button', { type: 'submit' }, 'Show'),
    );
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      for (const [k, val] of new FormData(f)) if (String(val).trim()) q.set(k, String(val).trim());
      location.hash = `#/kb/timeline/${enc(q.toString())}`;
    });
    const events = await api('/api/kb/timeline', params);
    const list = h('ol', { class: 'kb-timeline', 'data-testid': 'kb-timeline' }, ...events.map((e) => h('li', { 'data-date': e.date }, h('span', { class: 'kb-date' }, e.date), ' ', h('span', { class: 'muted' }, e.jurisdiction), ' ', h('a', { href: entryHref(e.entry) }, e.title), ` — ${e.label}`)));
    const c = card(
      `Timeline: ${events.length} dated events`,
      'kb-timeline-card',
      nav(),
      f,
      events.length ? timelineSvg(events) : h('p', {}, 'No dated events for these filters.'),
      h('p', { class: 'muted' }, 'A faint dot is a date known only to the year. Events after today are dates from which rules will apply.'),
      list,
    );
    c.classList.add('wide');
    return [c];
  }

  async function changes(since) {
    const f = h('form', { id: 'kb-changes-form', class: 'inline' }, h('label', {}, 'Changed since ', h('input', { name: 'since', type: 'date', required: '', value: since })), h('button', { type: 'submit' }, 'Show'));
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      location.hash = `#/kb/changes/${f.elements.since.value}`;
    });
    const events = await api('/api/kb/changes', new URLSearchParams({ since }));
    const rows = events.map((e) => ({ when: e.at.slice(0, 16).replace('T', ' '), what: e.kind, entry: e.title, id: e.entry, version: e.version, status: e.statusBefore && e.statusBefore !== e.status ? `${e.statusBefore} → ${e.status}` : e.status, fields: e.fields.join(', '), by: e.by.name }));
    const table = rows.length
      ? h(
          'table',
          { 'data-testid': 'kb-changes' },
          h('thead', {}, h('tr', {}, ...['When', 'What', 'Entry', 'Version', 'Status', 'Fields', 'By'].map((c) => h('th', {}, c)))),
          h(
            'tbody',
            {},
            ...rows.map((r) =>
              h(
                'tr',
                { 'data-kind': r.what },
                h('td', {}, r.when),
                h('td', {}, r.what),
                h('td', {}, h('a', { href: entryHref(r.id) }, r.entry)),
                h('td', {}, r.version > 1 && r.what !== 'reviewed' ? h('a', { href: `#/kb/diff/${enc(r.id)}/${r.version - 1}/${r.version}` }, `${r.version - 1} → ${r.version}`) : String(r.version)),
                h('td', {}, r.status),
                h('td', {}, r.fields),
                h('td', {}, r.by),
              ),
            ),
          ),
        )
      : h('p', {}, `Nothing changed since ${since}.`);
    const c = card(`What changed since ${since}`, 'kb-changes-card', nav(), f, table);
    c.classList.add('wide');
    return [c];
  }

  const sourceItem = (s) =>
    h(
      'li',
      {},
      s.url ? h('a', { href: s.url, rel: 'noopener noreferrer', target: '_blank' }, s.title ?? s.url) : h('strong', {}, s.title ?? s.seed ?? s.mirror ?? s.derisk ?? `issue ${s.issue}`),
      s.where ? `, ${s.where}` : '',
      s.retrieved ? h('span', { class: 'muted' }, ` · retrieved ${s.retrieved}`) : '',
      s.checksum ? h('span', { class: 'muted kb-checksum', title: s.checksum }, ` · ${s.checksum.slice(0, 19)}…`) : '',
      s.quote ? h('blockquote', {}, s.quote) : '',
      ...(s.cites ?? []).map((c) => h('div', { class: 'muted' }, 'cites: ', c.url ? h('a', { href: c.url, rel: 'noopener noreferrer', target: '_blank' }, c.title) : c.title, c.accessed ? ` (accessed ${c.accessed})` : '', c.note ? ` — ${c.note}` : '')),
    );

  async function entry(id) {
    const [view, v, user] = await Promise.all([api(`/api/kb/entries/${enc(id)}`), vocab(), session()]);
    const e = view.entry;
    const facts = h(
      'dl',
      { class: 'kb-facts' },
      ...[
        ['Original title', e.title.original ? h('span', { lang: e.title.lang ?? '' }, e.title.original) : h('em', {}, 'unknown')],
        ['Issued by', e.authority ?? h('em', {}, 'unknown')],
        ['Jurisdiction', v.jurisdictions[e.jurisdiction] ?? e.jurisdiction],
        ['Type', label(v.types, e.type)],
        ['Status', label(v.statuses, e.status)],
        [
          'Dates',
          Object.entries(e.dates)
            .map(([k, d]) => `${k} ${d ?? 'unknown'}`)
            .join(' · ') || '—',
        ],
        ...(e.clause ? [['Clause', e.clause]] : []),
        ...(e.binds ? [['Binds', e.binds]] : []),
        ['Topics', e.topics.map((t) => label(v.topics, t)).join('; ')],
      ].flatMap(([k, val]) => [h('dt', {}, k), h('dd', {}, val)]),
    );
    const head = card(
      `${e.title.en}${e.title.short ? ` (${e.title.short})` : ''}`,
      'kb-entry-card',
      nav(),
      facts,
      h('p', { 'data-testid': 'kb-summary' }, e.summary),
      ...(e.unknown.length ? [h('h3', {}, 'Not known'), h('ul', { class: 'kb-unknown' }, ...e.unknown.map((u) => h('li', {}, u)))] : []),
      ...(e.notes?.length ? [h('h3', {}, 'Notes'), h('ul', {}, ...e.notes.map((n) => h('li', {}, n)))] : []),
    );
    head.classList.add('wide');
    const history = card(
      'Status history',
      'kb-history-card',
      h('ol', { class: 'kb-timeline' }, ...e.status_history.map((s) => h('li', {}, h('span', { class: 'kb-date' }, s.date ?? 'date unknown'), ` ${label(v.statuses, s.status)}`, s.note ? h('span', { class: 'muted' }, ` — ${s.note}`) : ''))),
      ...(e.application?.length ? [h('h3', {}, 'Applies from'), h('ul', {}, ...e.application.map((a) => h('li', {}, h('span', { class: 'kb-date' }, a.date), ` ${a.scope}`)))] : []),
    );
    const review = view.review;
    const reviewBox = h(
      'div',
      { 'data-testid': 'kb-review' },
      h('p', {}, badge(review.state), review.current ? ` version ${review.current.version}, ${day(review.current.at)} by ${review.current.by.name}` : review.last ? ` (version ${review.last.version} was reviewed ${day(review.last.at)})` : ' not reviewed yet'),
    );
    if (!review.current && rank(user.role) >= rank('officer')) {
      const b = h('button', { type: 'button', id: 'kb-review-button' }, `Mark version ${view.version} reviewed`);
      b.addEventListener('click', async () => {
        await send('POST', `/api/kb/entries/${enc(id)}/review`, { version: view.version });
        location.reload();
      });
      reviewBox.append(b);
    }
    if (rank(user.role) >= rank('analyst')) reviewBox.append(' ', h('a', { href: `#/kb/edit/${enc(id)}`, class: 'button' }, 'Edit'));
    const versions = card(
      `Versions (${view.versions.length})`,
      'kb-versions-card',
      reviewBox,
      // On a phone the table scrolls in its card; its last columns were cut off.
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { 'data-testid': 'kb-versions' },
          h('thead', {}, h('tr', {}, ...['Version', 'Recorded', 'By', 'Note', 'Status', 'Review', ''].map((c) => h('th', {}, c)))),
          h(
            'tbody',
            {},
            ...view.versions.map((x) =>
              h(
                'tr',
                {},
                h('td', {}, String(x.version)),
                h('td', {}, x.at === null ? 'bundled' : x.at.slice(0, 16).replace('T', ' ')),
                h('td', {}, x.by.name),
                h('td', {}, x.note),
                h('td', {}, label(v.statuses, x.status)),
                h('td', {}, x.review ? `reviewed ${day(x.review.at)}` : ''),
                h('td', {}, x.version > 1 ? h('a', { href: `#/kb/diff/${enc(id)}/${x.version - 1}/${x.version}` }, 'diff') : ''),
              ),
            ),
          ),
        ),
      ),
    );
    const linked = card(
      'Rulebook criteria resting on it',
      'kb-criteria-card',
      view.criteria.length ? h('ul', {}, ...view.criteria.map((c) => h('li', {}, h('a', { href: `#/kb/criterion/${enc(c.id)}` }, c.id), c.missing ? h('strong', { class: 'error-text' }, ' — not in the current rulebook') : ` — ${c.title}`))) : h('p', {}, 'No criterion rests on this entry.'),
      h('h3', {}, 'Your verdicts in which these criteria held'),
      view.verdicts.length
        ? rowsTable(
            view.verdicts.map((x) => ({ case: x.caseTitle, overall: x.overall, at: day(x.at), criteria: x.criteria.join(', ') })),
            [
              ['case', 'Case'],
              ['overall', 'Verdict'],
              ['at', 'Assessed'],
              ['criteria', 'Criteria'],
            ],
          )
        : h('p', {}, 'None.'),
      ...view.verdicts.map((x) => h('p', { class: 'muted' }, h('a', { href: `#/cases/${enc(x.case)}` }, `case: ${x.caseTitle}`), ' · ', h('a', { href: `#/kb/verdict/${enc(x.assessment)}` }, 'entries behind this verdict'))),
    );
    const sources = card('Sources', 'kb-sources-card', h('ol', { class: 'kb-sources' }, ...e.sources.map(sourceItem)));
    const nodes = [head, history, versions, linked, sources];
    if (e.articles?.length) {
      const c = card(
        `Articles (${e.articles.length}, read from the official text)`,
        'kb-articles-card',
        rowsTable(
          e.articles.map((a) => ({ article: a.number, title: a.title, chapter: a.chapter, applies: a.applies_from, note: a.note ?? '' })),
          [
            ['article', 'Art.'],
            ['title', 'Title'],
            ['chapter', 'Chapter'],
            ['applies', 'Applies from'],
            ['note', 'Note'],
          ],
        ),
      );
      c.classList.add('wide');
      nodes.push(c);
    }
    return nodes;
  }

  const show = (value) => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

  async function diff(id, from, to) {
    const d = await api(`/api/kb/entries/${enc(id)}/diff`, new URLSearchParams(Object.entries({ from, to }).filter(([, x]) => x !== '')));
    const rows = d.changes.map((c) =>
      h(
        'tr',
        { class: `kb-${c.kind}`, 'data-path': c.path },
        h('td', {}, c.path),
        h('td', {}, c.kind),
        h(
          'td',
          { class: 'kb-change' },
          ...(c.words ? c.words.map((w) => (w.op === 'same' ? w.text : h(w.op === 'add' ? 'ins' : 'del', {}, w.text))) : [c.kind !== 'added' ? h('del', {}, show(c.before)) : '', c.kind === 'changed' ? ' → ' : '', c.kind !== 'removed' ? h('ins', {}, show(c.after)) : '']),
        ),
      ),
    );
    const c = card(
      `${id}: version ${d.from} → ${d.to}`,
      'kb-diff-card',
      nav(),
      h('p', {}, h('a', { href: entryHref(id) }, 'back to the entry')),
      rows.length ? h('table', { 'data-testid': 'kb-diff' }, h('thead', {}, h('tr', {}, h('th', {}, 'Field'), h('th', {}, 'Change'), h('th', {}, 'Before → after'))), h('tbody', {}, ...rows)) : h('p', {}, 'The two versions are the same.'),
    );
    c.classList.add('wide');
    return [c];
  }

  async function criterion(id) {
    const c = await api(`/api/kb/criteria/${enc(id)}`);
    return [
      card(
        c.criterion ? `${c.criterion.id} — ${c.criterion.title}` : `${id} (not in the current rulebook)`,
        'kb-criterion-card',
        nav(),
        c.criterion ? h('p', { class: 'muted' }, `${c.criterion.category} · ${c.criterion.outcome} · source: ${c.criterion.source}`) : '',
        h('h3', {}, 'Entries it rests on'),
        h('ul', { 'data-testid': 'kb-criterion-entries' }, ...c.entries.map((e) => h('li', {}, h('a', { href: entryHref(e.id) }, e.title.en), ' ', badge(e.review.state)))),
        h('h3', {}, 'Your verdicts in which it held'),
        c.verdicts.length
          ? h('ul', { 'data-testid': 'kb-criterion-verdicts' }, ...c.verdicts.map((x) => h('li', {}, h('a', { href: `#/cases/${enc(x.case)}` }, x.caseTitle), ` — ${x.overall}, ${day(x.at)} · `, h('a', { href: `#/kb/verdict/${enc(x.assessment)}` }, 'entries behind it'))))
          : h('p', {}, 'None.'),
      ),
    ];
  }

  async function verdict(id) {
    const r = await api(`/api/kb/verdicts/${enc(id)}`);
    return [
      card(
        `Verdict on “${r.verdict.caseTitle}”: ${r.verdict.overall}`,
        'kb-verdict-card',
        nav(),
        h('p', {}, h('a', { href: `#/cases/${enc(r.verdict.case)}` }, 'the case'), ` · assessed ${day(r.verdict.at)}`),
        ...r.criteria.map((c) => h('div', {}, h('h3', {}, h('a', { href: `#/kb/criterion/${enc(c.id)}` }, c.id)), c.entries.length ? h('ul', {}, ...c.entries.map((e) => h('li', {}, h('a', { href: entryHref(e.id) }, e.title.en)))) : h('p', { class: 'muted' }, 'no entry links to this criterion'))),
      ),
    ];
  }

  const DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;
  const DATE_HINT = 'YYYY, YYYY-MM or YYYY-MM-DD; empty when unknown';

  /**
   * One field of the entry form: its label, its control and the place where a problem with it is
   * said. `path` is the field's path in the entry ("title.en", "sources[1].url"), the one the
   * server names when it refuses the entry.
   */
  const field = (path, labelText, control, hint = '') =>
    h('div', { class: 'kb-field', 'data-path': path }, h('label', {}, h('span', { class: 'kb-label' }, labelText), control), hint ? h('span', { class: 'muted kb-hint' }, hint) : '', h('span', { class: 'kb-field-error', role: 'alert', hidden: '' }));
  const input = (name, value, attrs = {}) => h('input', { name, value: value ?? '', ...attrs });
  const choice = (name, options, value, empty = null) => {
    const s = h('select', { name }, ...(empty === null ? [] : [h('option', { value: '' }, empty)]));
    for (const [v, text] of options) s.append(h('option', { value: v, ...(v === value ? { selected: '' } : {}) }, text));
    return s;
  };
  const lines = (text) =>
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);

  /** A list of like rows (status events, sources) with add and remove; `row(item)` makes one row's fields. */
  function rows(name, items, row, blank, addText) {
    const box = h('div', { class: 'kb-rows', 'data-path': name });
    const add = (item) => {
      const r = h('fieldset', { class: 'kb-row' });
      const remove = h('button', { type: 'button', class: 'link' }, 'Remove');
      remove.addEventListener('click', () => {
        r.remove();
        renumber();
      });
      r.append(...row(item), remove);
      box.append(r);
      renumber();
    };
    // Paths follow the rows' order, so that a problem the server names lands on the right row.
    const renumber = () =>
      [...box.children].forEach((r, i) => {
        for (const f of r.querySelectorAll('[data-sub]')) f.setAttribute('data-path', `${name}[${i}]${f.getAttribute('data-sub')}`);
        r.setAttribute('data-path', `${name}[${i}]`);
      });
    for (const item of items) add(item);
    const more = h('button', { type: 'button', 'data-testid': `add-${name}` }, addText);
    more.addEventListener('click', () => add(blank()));
    return { box, more, rows: () => [...box.children] };
  }
  const sub = (suffix, node) => {
    node.setAttribute('data-sub', suffix);
    return node;
  };

  async function editor(id) {
    const [view, v] = await Promise.all([id ? api(`/api/kb/entries/${enc(id)}`) : null, vocab()]);
    const today = new Date().toISOString().slice(0, 10);
    const doc = view
      ? JSON.parse(JSON.stringify(view.entry))
      : {
          id: '',
          title: { en: '', original: null, lang: null },
          authority: null,
          jurisdiction: 'CN',
          type: 'law',
          status_history: [{ status: 'adopted', date: null }],
          dates: { issued: null, effective: null },
          summary: '',
          topics: [],
          criteria: [],
          sources: [{ title: '', url: '', retrieved: today }],
          unknown: [],
        };
    const languages = Object.entries(v.languages);
    const statuses = v.statuses.map((t) => [t.id, t.label]);

    const history = rows(
      'status_history',
      doc.status_history,
      (e) => [sub('.status', field('', 'Status', choice('status', statuses, e.status))), sub('.date', field('', 'Date', input('date', e.date, { placeholder: 'YYYY-MM-DD', 'data-date': '' }), DATE_HINT)), sub('.note', field('', 'Note', input('note', e.note, { maxlength: '1000' })))],
      () => ({ status: statuses[0][0], date: null }),
      'Add a status',
    );
    const KEPT = ['seed', 'mirror', 'derisk', 'issue', 'cites', 'checksum'];
    const sources = rows(
      'sources',
      doc.sources,
      (src) => {
        // What the form does not edit (a seed, a mirror file, its checksum, what it cites) is kept as it was, and shown.
        const kept = Object.fromEntries(KEPT.filter((k) => src[k] !== undefined).map((k) => [k, src[k]]));
        const row = [
          sub('.title', field('', 'Title', input('title', src.title, { maxlength: '1000' }))),
          sub('.url', field('', 'Address', input('url', src.url, { type: 'url', placeholder: 'https://…', maxlength: '2000' }))),
          sub('.where', field('', 'Where in it', input('where', src.where, { maxlength: '500', placeholder: 'e.g. Art. 21' }))),
          sub('.quote', field('', 'Quote', h('textarea', { name: 'quote', rows: '2', maxlength: '3000' }, src.quote ?? ''))),
          sub('.retrieved', field('', 'Retrieved', input('retrieved', src.retrieved, { placeholder: 'YYYY-MM-DD', 'data-date': '' }), DATE_HINT)),
        ];
        const said = [
          kept.seed && `seed ${kept.seed}`,
          kept.mirror && `data mirror: ${kept.mirror}`,
          kept.derisk && `derisk: ${kept.derisk}`,
          kept.issue && `issue ${kept.issue}`,
          kept.cites && `cites ${kept.cites.length} text${kept.cites.length === 1 ? '' : 's'}`,
          kept.checksum && 'checksum',
        ].filter(Boolean);
        if (said.length) row.push(h('p', { class: 'muted kb-kept', 'data-kept': JSON.stringify(kept) }, `Kept as it is: ${said.join(' · ')}`));
        return row;
      },
      () => ({ title: '', url: '', retrieved: today }),
      'Add a source',
    );
    const topicBoxes = h('div', { class: 'kb-checks' }, ...v.topics.map((t) => h('label', { class: t.parent ? 'kb-child' : '' }, h('input', { type: 'checkbox', name: 'topic', value: t.id, ...(doc.topics.includes(t.id) ? { checked: '' } : {}) }), ` ${t.label}`)));
    // A link to a criterion no longer in the rulebook stays visible, so that it can be removed.
    const criteria = [...v.criteria, ...doc.criteria.filter((c) => !v.criteria.some((x) => x.id === c)).map((c) => ({ id: c, title: 'not in the current rulebook' }))];
    const criterionBoxes = h('div', { class: 'kb-checks' }, ...criteria.map((c) => h('label', {}, h('input', { type: 'checkbox', name: 'criterion', value: c.id, ...(doc.criteria.includes(c.id) ? { checked: '' } : {}) }), ` ${c.id}`, h('span', { class: 'muted' }, ` — ${c.title}`))));
    const DATE_KEYS = ['issued', 'published', 'effective'];

    const box = h('p', { id: 'kb-edit-error', class: 'error', role: 'alert', hidden: '' });
    const f = h(
      'form',
      { id: 'kb-edit-form', class: 'kb-form', novalidate: '' },
      h(
        'fieldset',
        {},
        h('legend', {}, 'Title and issuer'),
        field('id', 'Id', input('id', doc.id, { maxlength: '81', placeholder: 'e.g. cn-data-security-law', ...(view ? { readonly: '' } : {}) }), view ? 'the id stays' : 'lower-case letters, digits and dashes'),
        field('title.en', 'Title in English', input('title_en', doc.title.en, { maxlength: '500' })),
        field('title.short', 'Short title', input('title_short', doc.title.short, { maxlength: '100' })),
        field('title.original', 'Original title', input('title_original', doc.title.original, { maxlength: '500' }), 'as the official text has it; empty when unknown'),
        field('title.lang', 'Its language', choice('title_lang', languages, doc.title.lang, 'none')),
        field('authority', 'Issued by', input('authority', doc.authority, { maxlength: '500' }), 'empty when unknown'),
        field('jurisdiction', 'Jurisdiction', choice('jurisdiction', Object.entries(v.jurisdictions), doc.jurisdiction)),
        field(
          'type',
          'Type',
          choice(
            'type',
            v.types.map((t) => [t.id, t.label]),
            doc.type,
          ),
        ),
      ),
      h('fieldset', {}, h('legend', {}, 'Status history, oldest first'), history.box, history.more),
      h('fieldset', {}, h('legend', {}, 'Dates'), ...DATE_KEYS.map((k) => field(`dates.${k}`, k[0].toUpperCase() + k.slice(1), input(`date_${k}`, doc.dates[k], { placeholder: 'YYYY-MM-DD', 'data-date': '' }), DATE_HINT))),
      h(
        'fieldset',
        {},
        h('legend', {}, 'What it says'),
        field('summary', 'Summary', h('textarea', { name: 'summary', rows: '5', maxlength: '8000' }, doc.summary)),
        field('binds', 'Binds', input('binds', doc.binds, { maxlength: '500' }), 'who it binds, for briefing researchers; may be empty'),
        field('clause', 'Clause', input('clause', doc.clause, { maxlength: '200' }), 'may be empty'),
      ),
      h('fieldset', { 'data-path': 'topics' }, h('legend', {}, 'Topics (at least one)'), topicBoxes, h('span', { class: 'kb-field-error', role: 'alert', hidden: '' })),
      h('fieldset', { 'data-path': 'criteria' }, h('legend', {}, 'Rulebook criteria resting on it'), criterionBoxes, h('span', { class: 'kb-field-error', role: 'alert', hidden: '' })),
      h('fieldset', {}, h('legend', {}, 'Sources (at least one; each names its text by an address)'), sources.box, sources.more),
      h(
        'fieldset',
        {},
        h('legend', {}, 'What is not known'),
        field('unknown', 'Not known, one per line', h('textarea', { name: 'unknown', rows: '4' }, doc.unknown.join('\n')), 'every field left empty above needs a line "field: why", e.g. "authority: the seeds do not name the issuer"'),
        field('notes', 'Notes, one per line', h('textarea', { name: 'notes', rows: '2' }, (doc.notes ?? []).join('\n'))),
      ),
      h('label', { class: 'field wide' }, 'Note on this version ', h('input', { name: 'note', maxlength: '1000', placeholder: 'what changed and why' })),
      h('p', {}, h('button', { type: 'submit' }, view ? `Save as version ${view.version + 1}` : 'Add as draft')),
      box,
    );
    const el = (name) => f.elements.namedItem(name);
    const value = (node, name) => node.querySelector(`[name=${name}]`).value.trim();
    /** The entry the form describes; what it does not edit (the official text, articles, application) is kept. */
    const collect = () => {
      const out = { ...doc };
      delete out.status;
      out.id = el('id').value.trim();
      out.title = { en: el('title_en').value.trim(), original: el('title_original').value.trim() || null, lang: el('title_lang').value || null };
      if (el('title_short').value.trim()) out.title.short = el('title_short').value.trim();
      out.authority = el('authority').value.trim() || null;
      out.jurisdiction = el('jurisdiction').value;
      out.type = el('type').value;
      out.status_history = history.rows().map((r) => ({ status: value(r, 'status'), date: value(r, 'date') || null, ...(value(r, 'note') ? { note: value(r, 'note') } : {}) }));
      // A date the entry had, or one given now, is sent; one it never had stays out (nothing to explain).
      out.dates = Object.fromEntries(DATE_KEYS.filter((k) => k in doc.dates || el(`date_${k}`).value.trim()).map((k) => [k, el(`date_${k}`).value.trim() || null]));
      out.summary = el('summary').value.trim();
      for (const k of ['binds', 'clause']) {
        if (el(k).value.trim()) out[k] = el(k).value.trim();
        else delete out[k];
      }
      // The entry's own order first (an unchanged list is no change), then what was ticked now.
      const ticked = (name, before) => {
        const now = [...f.querySelectorAll(`input[name=${name}]:checked`)].map((c) => c.value);
        return [...before.filter((x) => now.includes(x)), ...now.filter((x) => !before.includes(x))];
      };
      out.topics = ticked('topic', doc.topics);
      out.criteria = ticked('criterion', doc.criteria);
      out.sources = sources.rows().map((r) => {
        const s = JSON.parse(r.querySelector('[data-kept]')?.getAttribute('data-kept') ?? '{}');
        for (const k of ['title', 'url', 'where', 'quote', 'retrieved']) if (value(r, k)) s[k] = value(r, k);
        return s;
      });
      out.unknown = lines(el('unknown').value);
      const notes = lines(el('notes').value);
      if (notes.length) out.notes = notes;
      else delete out.notes;
      return out;
    };
    const clear = () => {
      for (const e of f.querySelectorAll('.kb-field-error')) e.hidden = true;
      for (const e of f.querySelectorAll('.kb-invalid')) e.classList.remove('kb-invalid');
      box.hidden = true;
    };
    /** Says a problem beside the field it names (or the nearest enclosing one), or above the button when none is on the form. */
    const flag = (path, problem) => {
      const places = [...f.querySelectorAll('[data-path]')];
      for (let p = path; p; p = p.replace(/(\.[a-z_]+|\[\d+\])$/, '')) {
        const at = places.find((x) => x.getAttribute('data-path') === p);
        const slot = at && [...at.querySelectorAll('.kb-field-error')].find((e) => e.closest('[data-path]') === at);
        if (slot) {
          slot.textContent = problem;
          slot.hidden = false;
          at.classList.add('kb-invalid');
          return at;
        }
        if (p === p.replace(/(\.[a-z_]+|\[\d+\])$/, '')) break;
      }
      box.textContent = path ? `${path}: ${problem}` : problem;
      box.hidden = false;
      return box;
    };
    /** What the form can tell before asking the server, all at once. */
    const problems = (e) => [
      ...(e.id ? [] : [['id', 'give the entry an id']]),
      ...(e.title.en ? [] : [['title.en', 'give the title in English']]),
      ...(e.summary ? [] : [['summary', 'say what it says']]),
      ...(e.topics.length ? [] : [['topics', 'pick at least one topic']]),
      ...(e.sources.length ? [] : [['sources', 'add at least one source']]),
      ...[...f.querySelectorAll('[data-date]')].filter((i) => i.value.trim() && !DATE.test(i.value.trim())).map((i) => [i.closest('[data-path]').getAttribute('data-path'), `${JSON.stringify(i.value.trim())} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)`]),
    ];
    f.addEventListener('submit', async (event) => {
      event.preventDefault();
      clear();
      const entry = collect();
      const found = problems(entry);
      if (found.length) {
        found.map(([path, problem]) => flag(path, problem))[0].scrollIntoView({ block: 'center' });
        return;
      }
      try {
        const note = el('note').value;
        const r = view ? await send('PUT', `/api/kb/entries/${enc(id)}`, { entry, base_version: view.version, note }) : await send('POST', '/api/kb/entries', { entry, note });
        location.hash = entryHref(r.id);
      } catch (e) {
        // The server names the field first ("entry: dates.effective: …"): the problem goes beside it.
        const named = /^[^:]*: ([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*): (.*)$/s.exec(e.message);
        (named ? flag(named[1], named[2]) : flag('', e.message)).scrollIntoView({ block: 'center' });
      }
    });
    const c = card(
      view ? `Edit ${id} (from version ${view.version})` : 'New entry (a draft until an officer reviews it)',
      'kb-edit-card',
      nav(),
      h('p', { class: 'muted' }, 'A field left empty is unknown: say why under “What is not known”. Every source names its text and, where it quotes, the words.'),
      f,
    );
    c.classList.add('wide');
    return [c];
  }

  /**
   * #/kb/<view>/<args…> (already split and decoded).
   * @param {string[]} path
   */
  async function route([view, ...args]) {
    if (view === 'entry' && args[0]) return entry(args[0]);
    if (view === 'timeline') return timeline(new URLSearchParams(args[0] ?? ''));
    if (view === 'changes') return changes(args[0] || new Date(Date.now() - 30 * 86400_000).toISOString().slice(0, 10));
    if (view === 'diff' && args[0]) return diff(args[0], args[1] ?? '', args[2] ?? '');
    if (view === 'criterion' && args[0]) return criterion(args[0]);
    if (view === 'verdict' && args[0]) return verdict(args[0]);
    if (view === 'edit' && args[0]) return editor(args[0]);
    if (view === 'new') return editor(null);
    return search(new URLSearchParams(view === 'list' ? (args[0] ?? '') : ''));
  }

  return { route };
}
