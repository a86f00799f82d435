// @ts-check
// Knowledge base of the policy and standards landscape: search (English and Chinese), entries with
// their sources and review, the timeline, what changed, version diffs, and the links between
// entries, rulebook criteria and stored verdicts. Every text from the server goes in through
// textContent (via h), never as HTML.
import { COLOURS } from './charts.js';

const NS = 'http://www.w3.org/2000/svg';

function svgEl(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
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
              h('td', {}, x.at.slice(0, 16).replace('T', ' ')),
              h('td', {}, x.by.name),
              h('td', {}, x.note),
              h('td', {}, label(v.statuses, x.status)),
              h('td', {}, x.review ? `reviewed ${day(x.review.at)}` : ''),
              h('td', {}, x.version > 1 ? h('a', { href: `#/kb/diff/${enc(id)}/${x.version - 1}/${x.version}` }, 'diff') : ''),
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

  async function editor(id) {
    const view = id ? await api(`/api/kb/entries/${enc(id)}`) : null;
    const area = h('textarea', { name: 'entry', rows: '28', spellcheck: 'false', class: 'kb-json' });
    area.value = JSON.stringify(
      view
        ? view.entry
        : {
            id: '',
            title: { en: '', original: null, lang: 'zh' },
            authority: null,
            jurisdiction: 'CN',
            type: 'law',
            status_history: [{ status: 'adopted', date: null }],
            dates: { issued: null, effective: null },
            summary: '',
            topics: [],
            criteria: [],
            sources: [{ url: 'https://', title: '', retrieved: new Date().toISOString().slice(0, 10) }],
            unknown: ['title.original: …', 'authority: …', 'dates.issued: …', 'dates.effective: …', 'status_history: …'],
          },
      null,
      2,
    );
    const box = h('p', { id: 'kb-edit-error', class: 'error', role: 'alert', hidden: '' });
    const f = h('form', { id: 'kb-edit-form' }, area, h('label', { class: 'field wide' }, 'Note ', h('input', { name: 'note', maxlength: '1000', placeholder: 'what changed and why' })), h('p', {}, h('button', { type: 'submit' }, view ? `Save as version ${view.version + 1}` : 'Add as draft')), box);
    f.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const doc = JSON.parse(area.value);
        const note = f.elements.note.value;
        const r = view ? await send('PUT', `/api/kb/entries/${enc(id)}`, { entry: doc, base_version: view.version, note }) : await send('POST', '/api/kb/entries', { entry: doc, note });
        location.hash = entryHref(r.id);
      } catch (e) {
        box.textContent = e instanceof SyntaxError ? `not valid JSON: ${e.message}` : e.message;
        box.hidden = false;
      }
    });
    const c = card(
      view ? `Edit ${id} (from version ${view.version})` : 'New entry (a draft until an officer reviews it)',
      'kb-edit-card',
      nav(),
      h('p', { class: 'muted' }, 'Every field left null needs a line in "unknown" saying why; every source names its text and, where it quotes, the words.'),
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
