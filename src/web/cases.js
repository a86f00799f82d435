// @ts-check
// Cases: a form that walks an officer through a proposed collaboration, and the verdict.
// Every text from the server is set with textContent (via h), never as HTML.

export function casesModule({ h, api, apiPage, pager, send, card, rowsTable, institutionPicker, screenedBadge }) {
  const select = (name, options, value = options[0][0]) => {
    const s = h('select', { name });
    for (const [v, label] of options) s.append(h('option', { value: v, ...(v === value ? { selected: '' } : {}) }, label));
    return s;
  };
  const checks = (name, items) => h('div', { class: 'checks' }, ...items.map(([value, label]) => h('label', {}, h('input', { type: 'checkbox', name, value }), ` ${label}`)));
  const badge = (v) => h('span', { class: `badge ${v}` }, String(v).toUpperCase());

  const STATUS_WORDS = { 'not assessed': 'not assessed', 'awaiting sign-off': 'awaiting sign-off', 're-assessment due': 're-assessment due', approved: 'approved', 'approved-with-conditions': 'approved with conditions', rejected: 'rejected' };
  const CASE_COLUMNS = ['Case', 'Status', 'Verdict', 'Owner', 'Re-assess by', 'Changed'];
  const PAGE = 25;

  // The list an officer works from: searched, sorted and paged by the server; the state lives in the address.
  async function list(query = new URLSearchParams()) {
    const q = query.get('q') ?? '';
    const sort = query.get('sort') ?? 'updated';
    const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
    const { rows, total } = await apiPage('/api/cases', new URLSearchParams({ ...(q ? { q } : {}), sort, limit: String(PAGE), offset: String(offset) }));
    const go = (changes) => {
      const next = new URLSearchParams({ q, sort, offset: String(offset), ...changes });
      for (const [k, v] of [...next]) if (!v || (k === 'offset' && v === '0') || (k === 'sort' && v === 'updated')) next.delete(k);
      location.hash = `#/cases${next.size ? `?${next}` : ''}`;
    };
    const search = h(
      'form',
      { class: 'inline', id: 'case-search', role: 'search' },
      h('label', {}, 'Search ', h('input', { name: 'q', type: 'search', value: q, maxlength: '200', placeholder: 'title or reference' })),
      h(
        'label',
        {},
        ' Sort by ',
        select(
          'sort',
          [
            ['updated', 'last changed'],
            ['reassess', 're-assessment date'],
            ['verdict', 'verdict (red first)'],
            ['status', 'status'],
            ['title', 'title'],
          ],
          sort,
        ),
      ),
      h('button', { type: 'submit' }, 'Search'),
    );
    search.addEventListener('submit', (e) => {
      e.preventDefault();
      go({ q: search.elements.q.value.trim(), sort: search.elements.sort.value, offset: '0' });
    });
    search.elements.sort.addEventListener('change', () => go({ sort: search.elements.sort.value, offset: '0' }));
    const today = new Date().toISOString().slice(0, 10);
    const body = rows.length
      ? h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { 'data-testid': 'cases' },
            h('thead', {}, h('tr', {}, ...CASE_COLUMNS.map((x) => h('th', {}, x)))),
            h(
              'tbody',
              {},
              ...rows.map((c) =>
                h(
                  'tr',
                  { 'data-status': c.status },
                  h('td', { 'data-label': CASE_COLUMNS[0] }, h('a', { href: `#/cases/${c.id}` }, c.title), c.reference ? h('span', { class: 'muted' }, ` · ${c.reference}`) : ''),
                  h('td', { 'data-label': CASE_COLUMNS[1] }, h('span', { class: `status status-${c.status.replace(/ /g, '-')}` }, STATUS_WORDS[c.status] ?? c.status), c.editedSinceVerdict ? h('span', { class: 'edited-since', 'data-testid': 'edited-since-verdict' }, ' · edited since verdict') : ''),
                  h('td', { 'data-label': CASE_COLUMNS[2] }, c.overall ? badge(c.overall) : '—'),
                  h('td', { 'data-label': CASE_COLUMNS[3] }, c.owner),
                  h('td', { 'data-label': CASE_COLUMNS[4], ...(c.reassessBy && c.reassessBy <= today ? { class: 'warn' } : {}) }, c.reassessBy ?? '—'),
                  h('td', { 'data-label': CASE_COLUMNS[5] }, c.updatedAt.slice(0, 10), c.own ? '' : h('span', { class: 'muted' }, ' · shared with you')),
                ),
              ),
            ),
          ),
        )
      : h('p', {}, q ? `No case matches “${q}”.` : 'No cases yet.');
    // Every matching case, not only this page, as the server writes CSV (the session's cookie goes with the link).
    const csv = rows.length ? h('p', {}, h('a', { href: `/api/cases?${new URLSearchParams({ ...(q ? { q } : {}), sort, format: 'csv' })}`, download: 'cases.csv', 'data-testid': 'cases-csv' }, `CSV of ${total === 1 ? 'the matching case' : `all ${total} matching cases`}`)) : '';
    return [card('Cases', 'cases-card', h('p', {}, h('a', { href: '#/cases/new', class: 'button' }, 'New case')), search, body, pager({ total, offset, limit: PAGE, go: (o) => go({ offset: String(o) }) }), csv)];
  }

  /**
   * One partner of the case form: a name with the registry's suggestions, its role, country and
   * kind, and its screening badge, redone whenever the partner changes.
   */
  function partnerRow(options) {
    const ror = h('input', { type: 'hidden', name: 'partner_ror' });
    const name = h('input', { name: 'partner_name', maxlength: '500', placeholder: 'name or ROR id', 'aria-label': 'partner name' });
    const country = h('input', { name: 'partner_country', maxlength: '60', placeholder: 'e.g. CN', size: '6', 'aria-label': 'partner country' });
    const kindSelect = select('partner_kind', [['', 'kind: not said'], ...options.choices.partyKind.map((c) => [c.value, c.label])], '');
    const unnamed = h('input', { type: 'checkbox', name: 'partner_unnamed' });
    const badge = h('span', { class: 'partner-state', 'data-testid': 'partner-state', 'aria-live': 'polite' });
    const remove = h('button', { type: 'button', class: 'link', title: 'remove this partner' }, 'Remove');
    let timer = null;
    let asked = 0;
    const screenNow = async () => {
      const query = ror.value || name.value.trim();
      const mine = ++asked;
      if (!query || unnamed.checked) return badge.replaceChildren(unnamed.checked ? h('span', { class: 'badge state-badge state-unknown', 'data-state': 'unnamed' }, 'not named yet') : '');
      badge.replaceChildren(h('span', { class: 'muted' }, 'screening…'));
      try {
        const b = await screenedBadge(query);
        if (mine === asked) badge.replaceChildren(b, b.dataset.state === 'unknown' ? h('span', { class: 'muted' }, ' neither the registry nor a list knows it: identify it before relying on this') : '');
      } catch (e) {
        if (mine === asked) badge.replaceChildren(h('span', { class: 'error-text' }, e.message));
      }
    };
    const picker = institutionPicker(
      name,
      (r) => {
        ror.value = r.rorId;
        if (r.countryCode) country.value = r.countryCode;
        clearTimeout(timer);
        void screenNow();
      },
      () => {
        ror.value = '';
        clearTimeout(timer);
        // Screened as written once typing stops: a name the registry does not offer is screened too.
        timer = setTimeout(screenNow, 700);
      },
    );
    unnamed.addEventListener('change', screenNow);
    const row = h(
      'div',
      { class: 'partner-row' },
      h('label', { class: 'field partner-name' }, 'Partner ', picker),
      ror,
      h(
        'label',
        { class: 'field' },
        'Role ',
        select(
          'partner_role',
          options.choices.partnerRole.map((c) => [c.value, c.label]),
          options.choices.partnerRole.some((c) => c.value === 'partner') ? 'partner' : options.choices.partnerRole[0].value,
        ),
      ),
      h('label', { class: 'field' }, 'Country ', country),
      h('label', { class: 'field' }, kindSelect),
      h('label', {}, unnamed, ' not named yet (describe who is meant)'),
      remove,
      badge,
    );
    remove.addEventListener('click', () => row.remove());
    return row;
  }

  /**
   * Rows of labelled inputs with add and remove (funders, in-kind support, personnel): none to
   * start with, which reads "none" unless "not known yet" is ticked.
   */
  function rowList(testid, addLabel, makeRow) {
    const rows = h('div', { class: 'form-rows', 'data-testid': testid });
    const add = h('button', { type: 'button', 'data-testid': `add-${testid}` }, addLabel);
    add.addEventListener('click', () => {
      const remove = h('button', { type: 'button', class: 'link' }, 'Remove');
      const row = makeRow();
      row.classList.add('form-row');
      row.append(remove);
      remove.addEventListener('click', () => row.remove());
      rows.append(row);
      row.querySelector('input')?.focus();
    });
    return { rows, add };
  }

  const kindChoice = (options, name) => select(name, [['', 'kind: not said'], ...options.choices.partyKind.map((c) => [c.value, c.label])], '');

  // A funder is picked from the registry's suggestions as a partner is; one it does not know is kept as written.
  function funderRow(options) {
    const name = h('input', { name: 'funder_name', maxlength: '500', placeholder: 'name', 'aria-label': 'funder name' });
    const country = h('input', { name: 'funder_country', maxlength: '60', placeholder: 'e.g. CN', size: '6', 'aria-label': 'funder country' });
    const picker = institutionPicker(name, (r) => {
      if (r.countryCode) country.value = r.countryCode;
    });
    return h(
      'div',
      { class: 'funder-row' },
      h('label', { class: 'field partner-name' }, 'Funder ', picker),
      h('label', { class: 'field' }, 'Country ', country),
      h('label', { class: 'field' }, kindChoice(options, 'funder_kind')),
      h('label', {}, h('input', { type: 'checkbox', name: 'funder_unnamed' }), ' not named yet'),
    );
  }

  function inKindRow(options) {
    return h(
      'div',
      { class: 'in-kind-row' },
      h('label', { class: 'field' }, 'Provider ', h('input', { name: 'in_kind_from', maxlength: '500', 'aria-label': 'provider' })),
      h('label', { class: 'field' }, 'What ', h('input', { name: 'in_kind_what', maxlength: '500', placeholder: 'equipment, data, staff…', 'aria-label': 'what is provided' })),
      h('label', { class: 'field' }, kindChoice(options, 'in_kind_kind')),
      h('label', {}, h('input', { type: 'checkbox', name: 'in_kind_unnamed' }), ' provider not named yet'),
    );
  }

  function personRow(options) {
    return h(
      'div',
      { class: 'person-row' },
      h('label', { class: 'field' }, 'Name ', h('input', { name: 'person_name', maxlength: '300', 'aria-label': 'name' })),
      h('label', { class: 'field wide' }, 'Affiliations ', h('input', { name: 'person_affiliations', maxlength: '1000', placeholder: 'separated by ;', 'aria-label': 'affiliations' })),
      h('label', { class: 'field' }, 'Talent programmes ', h('input', { name: 'person_programmes', maxlength: '1000', placeholder: 'separated by ;, or none', 'aria-label': 'talent programmes' })),
      h(
        'div',
        { class: 'field' },
        'Mobility (none ticked: not known) ',
        checks(
          'person_mobility',
          options.choices.mobility.map((c) => [c.value, c.label]),
        ),
      ),
    );
  }

  async function form() {
    // Every fixed choice comes from the server, which reads it from the case schema that checks the case.
    const options = await api('/api/assessment/options');
    const choices = (name) => options.choices[name].map((c) => [c.value, c.label]);
    const answer = (name, label) => h('label', { class: 'field' }, `${label} `, select(name, choices('answer'), 'unknown'));
    const unknownBox = (name, label = ' not known yet') => h('label', {}, h('input', { type: 'checkbox', name }), label);
    const partners = h('div', { class: 'partners', 'data-testid': 'partners' });
    const addPartner = h('button', { type: 'button', 'data-testid': 'add-partner' }, 'Add a partner');
    addPartner.addEventListener('click', () => partners.append(partnerRow(options)));
    partners.append(partnerRow(options));
    const funders = rowList('funders', 'Add a funder', () => funderRow(options));
    const inKind = rowList('in-kind', 'Add in-kind support', () => inKindRow(options));
    const personnel = rowList('personnel', 'Add a person', () => personRow(options));
    const f = h(
      'form',
      { id: 'case-form', class: 'case-form' },
      h(
        'fieldset',
        {},
        h('legend', {}, '1. The collaboration'),
        h('label', { class: 'field wide' }, 'Title ', h('input', { name: 'title', required: '', maxlength: '300' })),
        h('label', { class: 'field' }, 'Reference ', h('input', { name: 'reference', maxlength: '100' })),
        h('label', { class: 'field' }, 'Kind ', select('kind', choices('kind'))),
      ),
      h('fieldset', {}, h('legend', {}, '2. Partners'), h('p', { class: 'muted' }, 'Type a name and pick it from the registry’s suggestions; each partner is screened as you choose it. A partner the registry does not know is screened as written, and marked.'), partners, addPartner),
      h('fieldset', {}, h('legend', {}, '3. Funding and in-kind support (leave empty for none)'), funders.rows, funders.add, unknownBox('funders_unknown', ' funders not known yet'), inKind.rows, inKind.add, unknownBox('in_kind_unknown', ' in-kind support not known yet')),
      h(
        'fieldset',
        {},
        h('legend', {}, '4. Technology'),
        checks(
          'fields',
          options.fields.map((x) => [x.id, x.name]),
        ),
        unknownBox('fields_none', ' in no sensitive field'),
        unknownBox('fields_unknown'),
        answer('dual_use', 'Dual-use potential'),
        answer('export_controlled', 'Export-controlled'),
      ),
      h(
        'fieldset',
        {},
        h('legend', {}, '5. Intended application (EU AI Act)'),
        checks(
          'uses',
          options.uses.map((u) => [u.id, `${u.label} — ${u.tier}, ${u.cite}`]),
        ),
        unknownBox('uses_unknown'),
        h('div', {}, 'Aimed at ', checks('populations', choices('populations')), unknownBox('populations_unknown')),
        h('label', { class: 'field wide' }, 'Languages the technology handles (comma-separated) ', h('input', { name: 'languages', maxlength: '300', placeholder: 'e.g. Mandarin, Uyghur' })),
        answer('minorities_whole_project', 'The minority-language or minority-targeted part is the whole project'),
      ),
      h('fieldset', {}, h('legend', {}, '6. Research'), h('label', { class: 'field' }, 'Type ', select('research_type', choices('researchType'), 'unknown')), answer('open_publication', 'Published openly')),
      h(
        'fieldset',
        {},
        h('legend', {}, '7. Data'),
        checks('kinds', choices('dataKinds')),
        unknownBox('kinds_unknown'),
        h('div', {}, 'Stored in ', checks('storage', choices('storage'))),
        answer('transfer_to_china', 'Transferred to China'),
        h('div', {}, 'About ', checks('subjects', choices('dataSubjects')), unknownBox('subjects_unknown')),
        h('label', { class: 'field' }, 'Access to data ', select('access', choices('dataAccess'), 'unknown')),
      ),
      h('fieldset', {}, h('legend', {}, '8. Terms'), answer('equal_access_to_data', 'Equal access to data'), answer('equal_right_to_publish', 'Equal right to publish'), answer('ip_agreement', 'Written IP agreement'), answer('partner_veto_on_publication', 'Partner veto on publication')),
      h('fieldset', {}, h('legend', {}, '9. Personnel'), personnel.rows, personnel.add, unknownBox('personnel_unknown', ' personnel not known yet')),
      h('fieldset', {}, h('legend', {}, '10. Duration'), h('label', { class: 'field' }, 'Start ', h('input', { name: 'start', type: 'date' })), h('label', { class: 'field' }, 'Months ', h('input', { name: 'months', type: 'number', min: '1', max: '240' }))),
      h(
        'fieldset',
        {},
        h('legend', {}, '11. Standards engagement (kind: standards engagement)'),
        h('label', { class: 'field' }, 'Forum ', select('forum', [['unknown', 'unknown'], ...options.forums.map((x) => [x.id, x.name])])),
        h(
          'div',
          {},
          'Topics ',
          checks(
            'topics',
            options.topics.map((t) => [t.id, t.name]),
          ),
          unknownBox('topics_unknown'),
        ),
        h('label', { class: 'field' }, 'Role ', select('standards_role', choices('standardsRole'), 'unknown')),
        answer('voting_rights', 'Voting rights'),
        answer('access_to_drafts', 'Access to drafts'),
        answer('leadership_open', 'Leadership positions open'),
        answer('fees_proportionate', 'Fees proportionate'),
        answer('patents_declared', 'Essential patents declared'),
        answer('frand_commitment', 'FRAND commitment'),
      ),
      h('p', {}, h('button', { type: 'submit' }, 'Save and assess'), ' ', h('span', { class: 'muted' }, `rulebook ${options.rulebook.version} [${options.rulebook.hash}] · policy bundle ${options.bundle.version} [${options.bundle.hash}]`)),
      h('p', { id: 'form-error', class: 'error', role: 'alert', hidden: '' }),
    );
    f.addEventListener('submit', async (event) => {
      event.preventDefault();
      const box = f.querySelector('#form-error');
      try {
        const doc = caseFrom(new FormData(f), partners, { funders: funders.rows, inKind: inKind.rows, personnel: personnel.rows });
        const { id } = await send('POST', '/api/cases', doc);
        await send('POST', `/api/cases/${id}/assess`, {});
        location.hash = `#/cases/${id}`;
      } catch (e) {
        box.textContent = e.message;
        box.hidden = false;
      }
    });
    const c = card('New case: walk through the questions; leave what you do not know as unknown', 'case-form-card', f);
    c.classList.add('wide');
    return [c];
  }

  // Every answer may be unknown: a box left unticked with nothing chosen is "not known", never "none".
  function caseFrom(data, partnerRows, rowsOf) {
    // Each row's fields, trimmed; a row left empty is no entry.
    const filled = (rows, read) =>
      [...rows.children].flatMap((row) => {
        const field = (name) => String(row.querySelector(`[name=${name}]`)?.value ?? '').trim();
        const ticked = (name) => Boolean(row.querySelector(`[name=${name}]`)?.checked);
        const entry = read(field, ticked, (name) => [...row.querySelectorAll(`[name=${name}]:checked`)].map((c) => c.value));
        return entry ? [entry] : [];
      });
    const all = (name) => data.getAll(name).map(String);
    const split = (s) =>
      s
        .split(';')
        .map((x) => x.trim())
        .filter(Boolean);
    const chosen = (name) => (data.get(`${name}_unknown`) ? 'unknown' : all(name).length ? all(name) : 'unknown');
    const kind = (k) => (k ? { kind: k } : {});
    const standards = data.get('kind') === 'standards-engagement';
    /** @type {Record<string, unknown>} */
    const doc = {
      kind: String(data.get('kind') ?? 'research'),
      title: String(data.get('title') ?? ''),
      partners: [...partnerRows.querySelectorAll('.partner-row')].flatMap((row) => {
        const field = (name) => String(row.querySelector(`[name=${name}]`).value ?? '').trim();
        const who = field('partner_name');
        const unnamedYet = row.querySelector('[name=partner_unnamed]').checked;
        if (!who && !unnamedYet) return [];
        const ror = field('partner_ror');
        const name = unnamedYet ? { name: 'unknown', description: who || 'not named yet' } : ror ? { name: who, ror } : /^(https:\/\/ror\.org\/)?0[a-z0-9]{6}[0-9]{2}$/.test(who) ? { ror: who } : { name: who };
        return [{ ...name, role: field('partner_role'), ...(field('partner_country') ? { country: field('partner_country') } : {}), ...kind(field('partner_kind')) }];
      }),
      funders: data.get('funders_unknown')
        ? 'unknown'
        : filled(rowsOf.funders, (field, ticked) => {
            const who = field('funder_name');
            if (!who && !ticked('funder_unnamed')) return null;
            return { name: ticked('funder_unnamed') ? 'unknown' : who, ...(field('funder_country') ? { country: field('funder_country') } : {}), ...kind(field('funder_kind')) };
          }),
      in_kind: data.get('in_kind_unknown')
        ? 'unknown'
        : filled(rowsOf.inKind, (field, ticked) => {
            const from = field('in_kind_from');
            if (!from && !field('in_kind_what') && !ticked('in_kind_unnamed')) return null;
            return { from: ticked('in_kind_unnamed') || !from ? 'unknown' : from, what: field('in_kind_what') || 'not said', ...kind(field('in_kind_kind')) };
          }),
      technology: { fields: data.get('fields_none') ? 'none' : chosen('fields'), dual_use: data.get('dual_use'), export_controlled: data.get('export_controlled') },
      application: {
        uses: chosen('uses'),
        populations: chosen('populations'),
        minorities_whole_project: data.get('minorities_whole_project'),
        ...(String(data.get('languages') ?? '').trim()
          ? {
              languages: String(data.get('languages'))
                .split(',')
                .map((x) => x.trim())
                .filter(Boolean),
            }
          : {}),
      },
      research: { type: data.get('research_type'), open_publication: data.get('open_publication') },
      data: { kinds: chosen('kinds'), storage: all('storage').length ? all('storage') : 'unknown', transfer_to_china: data.get('transfer_to_china'), subjects: chosen('subjects'), access: data.get('access') },
      terms: Object.fromEntries(['equal_access_to_data', 'equal_right_to_publish', 'ip_agreement', 'partner_veto_on_publication'].map((k) => [k, data.get(k)])),
      personnel: data.get('personnel_unknown')
        ? 'unknown'
        : filled(rowsOf.personnel, (field, _ticked, checked) => {
            const name = field('person_name');
            if (!name) return null;
            const programmes = field('person_programmes');
            const moves = checked('person_mobility');
            return {
              name,
              affiliations: split(field('person_affiliations')),
              talent_programmes: programmes === '' || programmes === 'unknown' ? 'unknown' : programmes === 'none' ? 'none' : split(programmes),
              mobility: moves.length ? moves : 'unknown',
            };
          }),
      ...(standards
        ? {
            standards: {
              forum: String(data.get('forum') ?? 'unknown'),
              topics: chosen('topics'),
              role: data.get('standards_role'),
              ...Object.fromEntries(['voting_rights', 'access_to_drafts', 'leadership_open', 'fees_proportionate', 'patents_declared', 'frand_commitment'].map((k) => [k, data.get(k)])),
            },
          }
        : {}),
    };
    if (data.get('reference')) doc.reference = String(data.get('reference'));
    if (data.get('start') || data.get('months')) doc.duration = { ...(data.get('start') ? { start: String(data.get('start')) } : {}), ...(data.get('months') ? { months: Number(data.get('months')) } : {}) };
    return doc;
  }

  // Whom the case is shared with (read only), and taking a share back: the other organisation loses sight of it at once.
  function sharing(id, orgs) {
    const list = h(
      'ul',
      { 'data-testid': 'shares' },
      ...orgs.map((org) => {
        const stop = h('button', { type: 'button' }, 'Stop sharing');
        stop.addEventListener('click', async () => {
          await send('DELETE', `/api/cases/${id}/share/${encodeURIComponent(org)}`);
          location.reload();
        });
        return h('li', {}, `${org} `, stop);
      }),
    );
    const form = h('form', { class: 'inline' }, h('input', { name: 'organisation', required: '', pattern: '[a-z0-9][a-z0-9-]{1,40}', placeholder: 'organisation id' }), h('button', { type: 'submit' }, 'Share (read only)'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      await send('POST', `/api/cases/${id}/share`, { organisation: form.elements.organisation.value });
      location.reload();
    });
    return h('div', {}, h('h3', {}, orgs.length ? 'Shared with' : 'Not shared'), list, form);
  }

  const RANK = { low: 1, medium: 2, high: 3, 'very-high': 4 };
  /** A screened party's state as the screening page names it; a party the registry does not know is said to be unknown. */
  const partyState = (p) => {
    if (p.query === null) return { state: 'unknown', words: 'not named yet' };
    if (p.hits.length) {
      const level = p.hits.map((x) => x.level).sort((x, y) => (RANK[y] ?? 0) - (RANK[x] ?? 0))[0];
      return { state: 'listed', level, words: `listed · ${String(level).replace('-', ' ')}` };
    }
    if (p.identified) return { state: 'not-listed', words: 'recognised, not listed' };
    if (p.listedParts?.length || p.related?.length) return { state: 'ambiguous', words: 'ambiguous: say which one' };
    return { state: 'unknown', words: 'unknown organisation' };
  };

  // Every party of the verdict as it was screened: an unknown one stands out, never reads as clear.
  // The partners come first, in the case's order: a partner picked from the registry is shown by the name it was picked by, not its ROR id.
  function partiesCard(parties, partnerNames, registryNames) {
    const rows = parties.map((p, i) => {
      const s = partyState(p);
      const shown = (p.role.startsWith('partner') ? partnerNames[i] : null) ?? (p.query === p.rorId ? registryNames.get(p.rorId) : null) ?? p.query ?? p.description ?? 'not named yet';
      return h(
        'tr',
        { 'data-state': s.state },
        h('td', { 'data-label': 'Party' }, shown, p.rorId && shown !== p.rorId ? h('span', { class: 'muted' }, ` · ROR ${p.rorId}`) : '', p.query && p.description ? h('span', { class: 'muted' }, ` (${p.description})`) : ''),
        h('td', { 'data-label': 'Role' }, p.role),
        h('td', { 'data-label': 'Screening' }, h('span', { class: `badge state-badge state-${s.state}${s.level ? ` level-${s.level}` : ''}`, 'data-state': s.state }, s.words)),
        h('td', { 'data-label': 'Why' }, p.hits.length ? p.hits.map((x) => `${x.entry} — ${x.listName ?? x.listTitle}, ${String(x.level).replace('-', ' ')}`).join('; ') : p.why),
      );
    });
    const unknown = parties.filter((p) => partyState(p).state === 'unknown').length;
    const c = card(
      'Screening of the parties',
      'parties-card',
      unknown
        ? h(
            'p',
            { class: 'screen-state state-unknown', 'data-testid': 'parties-unknown' },
            `${unknown} ${unknown === 1 ? 'party is' : 'parties are'} not known to the registry or any list: identify ${unknown === 1 ? 'it' : 'them'} before relying on this verdict. No listing found is not a clearance.`,
          )
        : '',
      h('div', { class: 'table-scroll' }, h('table', { 'data-testid': 'parties' }, h('thead', {}, h('tr', {}, ...['Party', 'Role', 'Screening', 'Why'].map((x) => h('th', {}, x)))), h('tbody', {}, ...rows))),
    );
    c.classList.add('wide');
    return c;
  }

  const DECISION_WORDS = { approved: 'Approved', 'approved-with-conditions': 'Approved with conditions', rejected: 'Rejected' };

  // The sign-off of the latest verdict: shown once recorded; an officer of the owning organisation records it, once.
  async function signOff(c, latest) {
    const d = latest.decision;
    // The core refuses a decision on a verdict of a version edited since: no form to fill in vain.
    if (!d && latest.editedSince)
      return card(
        'Decision and sign-off',
        'decision-card',
        h('p', { class: 'edited-since', 'data-testid': 'decision-refused' }, `The case was edited since this verdict (it assessed version ${latest.caseVersion ?? 'unknown'}, the case is at version ${c.version}): assess the current version first, then decide.`),
      );
    if (d) {
      return card(
        'Decision and sign-off',
        'decision-card',
        h('p', { class: 'verdict' }, DECISION_WORDS[d.decision] ?? d.decision),
        ...(d.conditions.length ? [h('h3', {}, 'Conditions'), h('ol', {}, ...d.conditions.map((x) => h('li', {}, x)))] : []),
        h('p', { class: 'muted' }, `decided by ${d.decidedByName} on ${d.decidedAt.slice(0, 10)} · recorded in the audit trail`),
      );
    }
    const { user } = await api('/api/session');
    if (!c.own || !['officer', 'admin'].includes(user.role)) return card('Decision and sign-off', 'decision-card', h('p', { class: 'muted' }, 'No decision recorded yet: an officer of the organisation that owns the case signs the verdict off.'));
    const form = h(
      'form',
      { id: 'decision-form', class: 'stack' },
      h('fieldset', {}, h('legend', {}, 'Decision'), ...Object.entries(DECISION_WORDS).map(([value, label]) => h('label', {}, h('input', { type: 'radio', name: 'decision', value, required: '' }), ` ${label}`))),
      h('label', { class: 'field' }, 'Conditions (one a line; for an approval with conditions) ', h('textarea', { name: 'conditions', rows: '3', maxlength: '20000' })),
      h('button', { type: 'submit' }, 'Record the decision'),
      h('p', { class: 'muted' }, 'Recorded once, with your name and the date, in the audit trail; deciding again needs a new verdict.'),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const decision = form.elements.decision.value;
      const conditions = form.elements.conditions.value
        .split('\n')
        .map((x) => x.trim())
        .filter(Boolean);
      await send('POST', `/api/assessments/${latest.id}/decision`, { decision, ...(conditions.length ? { conditions } : {}) });
      location.reload();
    });
    return card('Decision and sign-off', 'decision-card', form);
  }

  async function show(id) {
    const c = await api(`/api/cases/${id}`);
    const nodes = [];
    const head = card(c.title, 'case-card', h('p', { class: 'muted' }, `${c.own ? 'your organisation' : 'shared with you (read only)'} · created ${c.createdAt.slice(0, 10)}`));
    head.classList.add('wide');
    nodes.push(head);
    if (c.own) {
      const again = h('button', { type: 'button' }, 'Assess again');
      again.addEventListener('click', async () => {
        await send('POST', `/api/cases/${id}/assess`, {});
        location.reload();
      });
      head.append(again);
      head.append(sharing(id, c.sharedWith));
    }
    const latest = c.assessments[0];
    if (latest) {
      const a = await api(`/api/assessments/${latest.id}`);
      const holding = a.criteria.filter((r) => r.status === 'holds' && r.outcome !== 'green');
      const open = a.criteria.filter((r) => r.status === 'needs-information');
      const titles = new Map(a.criteria.map((r) => [r.id, r.title]));
      const named = (ids) => ids.map((x) => `${x} — ${titles.get(x) ?? ''}`).join('\n');
      const verdict = card(
        'Verdict',
        'verdict-card',
        h('p', { class: 'verdict' }, 'Overall ', badge(a.overall), a.provisional ? h('span', { class: 'muted' }, ' provisional: questions unanswered') : ''),
        h('p', { class: 'muted' }, `assessed by ${latest.createdByName} on ${latest.createdAt.slice(0, 10)} · as of ${a.asOf} · re-assess by ${a.reassessBy}`),
        latest.editedSince ? h('p', { class: 'edited-since', 'data-testid': 'verdict-edited-since' }, `Edited since verdict: this verdict assessed ${latest.caseVersion === null ? 'an earlier form of the case' : `version ${latest.caseVersion}`}; the case is at version ${c.version}.`) : '',
        rowsTable(
          Object.entries(a.categories).map(([category, v]) => ({ category, verdict: v.verdict, holding: named(v.holding), needs: named(v.needsInformation) })),
          [
            ['category', 'Risk category'],
            ['verdict', 'Verdict'],
            ['holding', 'Criteria that hold'],
            ['needs', 'Needs information'],
          ],
        ),
        h(
          'p',
          { class: 'report-links' },
          h('a', { class: 'button', href: `/api/assessments/${latest.id}/report.pdf`, 'data-testid': 'report-pdf' }, 'Report to file (PDF)'),
          ' ',
          h('a', { href: `/api/assessments/${latest.id}/report`, target: '_blank', rel: 'noopener', 'data-testid': 'report-html' }, 'Report (HTML, printable)'),
          h('span', { class: 'muted' }, ` · rulebook ${a.rulebook.version} · policy bundle ${a.bundle.version}`),
        ),
      );
      verdict.classList.add('wide');
      nodes.push(verdict);
      const parties = a.evidence?.parties ?? [];
      const written = (a.case?.partners ?? []).map((p) => (p.name && p.name !== 'unknown' ? p.name : null));
      // A party written as a ROR id alone is shown by the registry's name for it.
      const registryNames = new Map(
        await Promise.all([...new Set(parties.filter((p) => p.rorId && p.query === p.rorId).map((p) => p.rorId))].map(async (ror) => /** @type {[string, string]} */ ([ror, (await api('/api/institutions', new URLSearchParams({ q: ror })))[0]?.name ?? `${ror} (not in the loaded registry)`]))),
      );
      nodes.push(partiesCard(parties, written, registryNames));
      nodes.push(await signOff(c, latest));
      const route = (r) =>
        r.status === 'holds' && r.redRoute
          ? `${r.redRoute.kind === 'red-line' ? 'RED LINE' : 'red, unless'}: ${r.redRoute.text} ${r.redRoute.conditions.join(' ')} (${r.redRoute.sourceTitle}, ${r.redRoute.source.clause})`
          : r.status === 'needs-information'
            ? `to decide: ${r.requests.join('; ')}`
            : '';
      const criteria = (rows) =>
        rowsTable(
          rows.map((r) => ({ id: r.id, title: r.title, outcome: r.status === 'holds' ? r.effective : `if it holds: ${r.outcome}`, route: route(r), evidence: r.evidence.map((e) => `${e.words}${e.note ? ` (${e.note})` : ''}`).join('\n'), source: `${r.source.title}, ${r.source.clause}` })),
          [
            ['id', 'Id'],
            ['title', 'Criterion'],
            ['outcome', 'Outcome'],
            ['route', 'Route or request'],
            ['evidence', 'Evidence'],
            ['source', 'Source'],
          ],
        );
      // The criteria tables read across the page: side by side, their evidence ran a word a line.
      const wide = (c) => {
        c.classList.add('wide');
        return c;
      };
      if (holding.length) nodes.push(wide(card('Criteria that hold', 'holding-card', criteria(holding))));
      if (open.length) nodes.push(wide(card('Needs information', 'open-card', criteria(open))));
      nodes.push(card('What would change the verdict', 'change-card', h('ul', {}, ...a.whatWouldChange.map((w) => h('li', {}, w)))));
      nodes.push(
        card(
          'Mitigation plan',
          'plan-card',
          ...Object.entries(a.plan)
            .filter(([, items]) => items.length)
            .flatMap(([kind, items]) => [h('h3', {}, kind), h('ul', {}, ...items.map((m) => h('li', {}, m.text, h('span', { class: 'muted' }, ` (${m.calledForBy.join(', ')})`))))]),
          ...(a.withheld?.length ? [h('h3', {}, 'not offered'), h('ul', {}, ...a.withheld.map((w) => h('li', {}, w.text, h('span', { class: 'muted' }, ` (${w.why})`))))] : []),
        ),
      );
    }
    const notes = card('Notes (your organisation only)', 'notes-card', h('ul', {}, ...c.notes.map((n) => h('li', {}, h('span', { class: 'muted' }, `${n.createdAt.slice(0, 16).replace('T', ' ')} · ${n.authorName}: `), n.body))));
    if (c.own) {
      const noteForm = h('form', { class: 'inline' }, h('input', { name: 'body', required: '', maxlength: '10000', placeholder: 'add a note' }), h('button', { type: 'submit' }, 'Add'));
      noteForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        await send('POST', `/api/cases/${id}/notes`, { body: noteForm.elements.body.value });
        location.reload();
      });
      notes.append(noteForm);
    }
    nodes.push(notes);
    return nodes;
  }

  return { list, form, show };
}
