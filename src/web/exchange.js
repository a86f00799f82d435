// Exchange: the organisation's notes, namesake decisions and verdicts, and how far each may travel.
const DISTRIBUTIONS = [
  ['organisation', 'Our organisation only'],
  ['community', 'Community'],
  ['everyone', 'Everyone'],
];
const TLPS = ['clear', 'green', 'amber', 'amber+strict', 'red'];
const SHARERS = new Set(['officer', 'admin']);
const WRITERS = new Set(['analyst', 'officer', 'admin']);

export function exchangeModule({ h, api, send, card }) {
  const marking = (s) =>
    h(
      'span',
      { class: 'marking', 'data-testid': 'marking' },
      h('span', { class: `badge tlp-${s.tlp.replace('+', '-')}` }, `TLP:${s.tlp.toUpperCase()}`),
      ' ',
      s.distribution === 'organisation' ? 'our organisation only' : s.distribution === 'community' ? 'community' : 'everyone',
      s.tlp === 'red' ? h('span', { class: 'muted' }, ' (never leaves this installation)') : '',
    );

  /** Distribution and TLP for one item; Share sets them, Unshare brings it back to the organisation. */
  function controls(kind, id, s, refresh) {
    const f = h(
      'form',
      { class: 'share-form inline', 'data-testid': `share-${kind}-${id}` },
      h('label', {}, 'Distribution ', h('select', { name: 'distribution' }, ...DISTRIBUTIONS.map(([v, label]) => h('option', v === s.distribution ? { value: v, selected: '' } : { value: v }, label)))),
      h('label', {}, 'TLP ', h('select', { name: 'tlp' }, ...TLPS.map((t) => h('option', t === s.tlp ? { value: t, selected: '' } : { value: t }, t.toUpperCase())))),
      h('button', { type: 'submit', name: 'share' }, 'Share'),
      h('button', { type: 'button', name: 'unshare', class: 'secondary' }, 'Unshare'),
    );
    const act = (work) => async () => {
      try {
        await work();
        await refresh();
      } catch (e) {
        const error = document.getElementById('error');
        error.textContent = e.message;
        error.hidden = false;
      }
    };
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      void act(() => send('PUT', `/api/exchange/sharing/${kind}/${encodeURIComponent(id)}`, { distribution: f.elements.distribution.value, tlp: f.elements.tlp.value }))();
    });
    f.elements.unshare.addEventListener(
      'click',
      act(() => send('DELETE', `/api/exchange/sharing/${kind}/${encodeURIComponent(id)}`)),
    );
    return f;
  }

  function itemRow(kind, id, what, s, role, refresh) {
    return h('li', { class: 'exchange-item', 'data-testid': 'exchange-item', 'data-kind': kind, 'data-id': id }, h('div', {}, ...what), marking(s), SHARERS.has(role) ? controls(kind, id, s, refresh) : '');
  }

  function noteForm(refresh) {
    const f = h(
      'form',
      { id: 'note-form', class: 'batch' },
      h('label', {}, 'About ', h('select', { name: 'kind' }, h('option', { value: 'entry' }, 'a list entry (list/entry)'), h('option', { value: 'ror' }, 'a ROR id'), h('option', { value: 'name' }, 'a name as written'))),
      h('label', {}, 'Which ', h('input', { name: 'value', required: '', maxlength: '500', placeholder: 'my-watchlist/tsinghua' })),
      h('label', { class: 'field wide' }, 'Note ', h('textarea', { name: 'text', required: '', rows: '2', maxlength: '20000' })),
      h('label', {}, 'Concern (0–100, optional) ', h('input', { name: 'opinion', type: 'number', min: '0', max: '100' })),
      h('button', { type: 'submit' }, 'Add note'),
    );
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const opinion = f.elements.opinion.value === '' ? null : Number(f.elements.opinion.value);
      await send('POST', '/api/exchange/notes', { subject: { kind: f.elements.kind.value, value: f.elements.value.value }, text: f.elements.text.value, opinion }).then(refresh, showError);
    });
    return f;
  }

  function namesakeForm(refresh) {
    const f = h(
      'form',
      { id: 'namesake-form', class: 'batch' },
      h('label', {}, 'The string ', h('input', { name: 'name', required: '', maxlength: '500' })),
      h('label', {}, 'is not the listed entry ', h('input', { name: 'entry', required: '', maxlength: '300', placeholder: 'list/entry' })),
      h('label', { class: 'field wide' }, 'because ', h('textarea', { name: 'reason', required: '', rows: '2', maxlength: '5000' })),
      h('button', { type: 'submit' }, 'Record decision'),
    );
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      await send('POST', '/api/exchange/namesakes', { name: f.elements.name.value, entry: f.elements.entry.value, reason: f.elements.reason.value }).then(refresh, showError);
    });
    return f;
  }

  function showError(e) {
    const error = document.getElementById('error');
    error.textContent = e.message;
    error.hidden = false;
  }

  const VERDICTS = { is: 'is', not: 'is not', none: 'names no registry institution' };
  const day = (iso) => (iso ? iso.slice(0, 10) : '');

  /** One received correction: whose, what it says, their evidence, how it came, and the organisation's decision with its buttons. */
  function receivedRow(r, role, refresh) {
    const c = r.correction;
    const state = r.decision?.state ?? 'undecided';
    const says = [h('strong', {}, `“${c.raw}” `), VERDICTS[c.verdict] ?? c.verdict, c.rorId ? [' ', h('a', { href: `#/institution/${encodeURIComponent(c.rorId)}` }, c.rorId)] : ''].flat();
    const how = r.signed ? h('span', { class: 'badge signed', 'data-testid': 'signed' }, 'signed feed') : h('span', { class: 'badge unsigned', 'data-testid': 'signed' }, 'unsigned file');
    // A retracted one applies to nobody and cannot be accepted again: what is left to say is who ended it, when and why.
    const x = r.retraction;
    const decided =
      state === 'accepted'
        ? h('p', { class: `decision${x ? '' : ' accepted'}`, 'data-testid': 'decision' }, `Accepted ${day(r.decision.at)}: ${x ? 'no longer in force, since its retraction.' : 'in force for your organisation, below its own corrections.'}`)
        : state === 'rejected'
          ? h('p', { class: 'decision rejected', 'data-testid': 'decision' }, `Rejected ${day(r.decision.at)}: ${r.decision.reason ?? ''}`)
          : h('p', { class: 'decision', 'data-testid': 'decision' }, x ? 'Not decided, and no longer to decide.' : 'Not decided: it changes nothing until you accept it.');
    const retracted = x
      ? h(
          'p',
          { class: 'decision retracted', 'data-testid': 'retraction' },
          h('strong', {}, `Retracted ${day(x.at)}`),
          ` by ${x.by}${x.via === x.by ? '' : ` via ${x.via}`}: ${x.why}. It applies to nobody.`,
          x.takenIn ? h('span', { class: 'muted' }, ` Taken in by the ${x.takenIn} on ${day(x.takenAt)}.`) : '',
        )
      : '';
    const buttons = WRITERS.has(role) && !x ? decideForm(r, state, refresh) : '';
    return h(
      'li',
      { class: 'exchange-item', 'data-testid': 'received-correction', 'data-uuid': r.uuid, 'data-state': state, 'data-retracted': x ? 'yes' : 'no' },
      h('div', {}, ...says),
      h('p', { class: 'evidence' }, h('span', { class: 'muted' }, 'Their evidence: '), c.reason || h('em', {}, 'none given')),
      h(
        'p',
        { class: 'muted provenance' },
        r.originOrg === null ? h('span', { 'data-testid': 'claimed-origin' }, `Claims to be from ${r.claimedOrigin} (unverified: an unsigned file says so) via ${r.publisher}`) : `From ${r.originOrg}${r.publisher === r.originOrg ? '' : ` via ${r.publisher}`}`,
        ` · decided ${day(c.createdAt)} · received ${day(r.pulledAt)} · `,
        how,
        ' ',
        h('span', { class: `badge tlp-${r.tlp.replace('+', '-')}` }, `TLP:${r.tlp.toUpperCase()}`),
        h('span', { class: 'key' }, ` ${r.signed ? 'key' : 'file'} ${r.keyId.replace(/^unsigned:/, 'sha256 ')}`),
      ),
      retracted,
      decided,
      buttons,
    );
  }

  function decideForm(r, state, refresh) {
    const f = h(
      'form',
      { class: 'share-form decide-form' },
      state === 'accepted' ? '' : h('button', { type: 'button', name: 'accept' }, 'Accept'),
      state === 'rejected' ? '' : h('label', { class: 'reason' }, 'Reason ', h('input', { name: 'reason', maxlength: '5000', required: '', placeholder: 'why not for us' })),
      state === 'rejected' ? '' : h('button', { type: 'submit', name: 'reject', class: 'secondary' }, state === 'accepted' ? 'Withdraw (reject)' : 'Reject'),
    );
    f.elements.accept?.addEventListener('click', () => void send('POST', `/api/match/received/${encodeURIComponent(r.uuid)}/accept`).then(refresh, showError));
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      void send('POST', `/api/match/received/${encodeURIComponent(r.uuid)}/reject`, { reason: f.elements.reason.value }).then(refresh, showError);
    });
    return f;
  }

  /** For administrators: a STIX 2.1 bundle or MISP event another institution sent, imported as received corrections. */
  function importForm(refresh) {
    const f = h(
      'form',
      { id: 'import-form', class: 'share-form' },
      h('label', {}, 'File ', h('input', { name: 'file', type: 'file', accept: '.json,application/json', required: '' })),
      h('label', {}, 'Format ', h('select', { name: 'format' }, h('option', { value: 'stix' }, 'STIX 2.1 bundle'), h('option', { value: 'misp' }, 'MISP event'))),
      h('label', {}, 'Sent by ', h('input', { name: 'from', required: '', maxlength: '200', placeholder: 'the institution' })),
      h('button', { type: 'submit' }, 'Import'),
      h('p', { class: 'muted', 'data-testid': 'import-result' }),
    );
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const file = f.elements.file.files[0];
      if (!file) return;
      const q = new URLSearchParams({ format: f.elements.format.value, from: f.elements.from.value, name: file.name });
      await send('POST', `/api/exchange/import?${q}`, await file.text(), 'application/octet-stream').then(async (r) => {
        await refresh();
        const note = document.querySelector('[data-testid=import-result]');
        if (note)
          note.textContent = `${file.name}: ${r.added} new, ${r.updated} updated, ${r.unchanged} unchanged${r.retracted.length ? `, ${r.retracted.length} retracted by their publisher` : ''}${r.conflicts.length ? `, ${r.conflicts.length} not taken` : ''}${r.refused.length ? `, ${r.refused.length} refused` : ''}.`;
      }, showError);
    });
    return f;
  }

  async function received() {
    const [{ user }, list] = await Promise.all([api('/api/session'), api('/api/match/received')]);
    const refresh = async () => {
      document.getElementById('error').hidden = true;
      document.getElementById('page').replaceChildren(...(await received()));
    };
    const intro = h(
      'p',
      { class: 'muted' },
      'Decisions other institutions shared about affiliation strings. None applies to your organisation until you accept it; your own corrections still decide the same string. A rejected one stays listed with your reason; one its publisher retracted stays listed too, and applies to nobody.',
    );
    const body = list.length ? h('ul', { class: 'exchange-items' }, ...list.map((r) => receivedRow(r, user.role, refresh))) : h('p', {}, 'None yet: subscribed feeds and imported files bring them.');
    const nodes = [card('Corrections received from other institutions', 'received-card', intro, body, h('p', {}, h('a', { href: '#/exchange' }, 'Back to what your organisation shares')))];
    nodes[0].classList.add('wide');
    if (user.role === 'admin') nodes.push(card('Import a file another institution sent', 'import-card', importForm(refresh)));
    return nodes;
  }

  async function show(arg) {
    if (arg === 'received') return received();
    const [{ user }, items] = await Promise.all([api('/api/session'), api('/api/exchange/items')]);
    const holder = h('div', {});
    const refresh = async () => {
      document.getElementById('error').hidden = true;
      const nodes = await show();
      document.getElementById('page').replaceChildren(...nodes);
    };
    const rows = [
      ...items.notes.map((n) => itemRow('note', n.id, [h('strong', {}, `Note on ${n.subject.label}: `), n.body, n.opinion === null ? '' : h('span', { class: 'muted' }, ` (concern ${n.opinion}/100)`)], n, user.role, refresh)),
      ...items.namesakes.map((d) => itemRow('namesake', d.id, [h('strong', {}, `“${d.name}” is not ${d.entryName}`), h('span', { class: 'muted' }, ` (${d.listId}/${d.entryId}) `), d.reason], d, user.role, refresh)),
      ...items.assessments.map((a) =>
        itemRow(
          'assessment',
          a.id,
          [h('strong', {}, `Verdict ${a.overall.toUpperCase()}`), ' of case ', h('a', { href: `#/cases/${encodeURIComponent(a.caseId)}`, title: `case ${a.caseId}` }, a.caseTitle ?? 'a deleted case'), h('span', { class: 'muted' }, ' (shared anonymised: no case text, people or your institution)')],
          a.sharing,
          user.role,
          refresh,
        ),
      ),
    ];
    holder.append(rows.length ? h('ul', { class: 'exchange-items' }, ...rows) : h('p', {}, 'Nothing yet: notes, namesake decisions and verdicts of your organisation appear here.'));
    const intro = h(
      'p',
      { class: 'muted' },
      SHARERS.has(user.role) ? 'Nothing leaves your organisation until you share it. Community and everyone go into the installation\u2019s signed feed at the TLP marking you set; TLP:RED never leaves.' : 'Nothing leaves your organisation until an officer shares it.',
    );
    const nodes = [card('Shared with other institutions', 'exchange-card', intro, holder, h('p', {}, h('a', { href: '#/exchange/received', 'data-testid': 'received-link' }, 'Corrections received from other institutions')))];
    nodes[0].classList.add('wide');
    if (WRITERS.has(user.role)) nodes.push(card('Note on an entity', 'note-card', noteForm(refresh)), card('Namesake decision', 'namesake-card', namesakeForm(refresh)));
    return nodes;
  }

  return { show };
}

/**
 * What institutions decided about a screened string, beside its hits: information, never a change.
 * `infos` is /api/screen's namesake_decisions.
 */
export function namesakeBlock(h, query, infos) {
  return infos.map((info) => {
    const entry = info.entry;
    return h(
      'div',
      { class: 'namesake-info', 'data-testid': 'namesake-info' },
      h('p', {}, h('strong', {}, 'Information (the hit stands): '), `${info.institutions} institution${info.institutions === 1 ? '' : 's'} judged “${query}” not to be the listed entity ${entry} (${info.list}), with their reasons:`),
      h('ul', {}, ...info.decisions.map((d) => h('li', {}, h('strong', {}, d.institution), d.publisher ? h('span', { class: 'muted' }, ` via ${d.publisher}`) : '', ` · TLP:${d.tlp.toUpperCase()} · `, d.reason))),
    );
  });
}
