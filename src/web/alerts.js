// @ts-check
// Your alerts: the inbox (newest first, a page at a time, read and unread for you), each with its
// evidence and a link to it, and the address of your Atom feed. Every text from the server is set
// with textContent (via h), never as HTML.

const KINDS = {
  'new-copublication': 'New co-publication',
  'list-change': 'List change',
  'verdict-change': 'Verdict would change',
  'knowledge-change': 'Knowledge base',
  'reassessment-due': 'Re-assessment due',
};

const SAFE_LINK = /^(https?:\/\/|\/(?!\/))/i;

export function alertsModule({ h, apiCursor, send, card }) {
  const showError = (e) => {
    const box = document.getElementById('error');
    box.textContent = e.message;
    box.hidden = false;
  };

  /** One alert: what and when, its evidence, the link to it, and read or unread (for you), which a click turns. */
  function alertItem(a) {
    const item = h('li', { class: `alert-item${a.read ? '' : ' unread'}`, 'data-testid': 'alert', 'data-id': a.id, 'data-read': String(a.read) });
    const toggle = h('button', { type: 'button', class: 'secondary', name: 'read' });
    const draw = () => {
      item.classList.toggle('unread', !a.read);
      item.dataset.read = String(a.read);
      toggle.textContent = a.read ? 'Mark unread' : 'Mark read';
    };
    toggle.addEventListener('click', async () => {
      toggle.disabled = true;
      try {
        await send(a.read ? 'DELETE' : 'PUT', `/api/alerts/${a.id}/read`);
        a.read = !a.read;
        draw();
      } catch (e) {
        showError(e);
      } finally {
        toggle.disabled = false;
      }
    });
    draw();
    item.append(
      h('div', {}, h('span', { class: 'badge' }, KINDS[a.kind] ?? a.kind), ' ', h('span', { class: 'muted' }, a.created_at.slice(0, 16).replace('T', ' ')), ' ', h('strong', { 'data-testid': 'alert-title' }, a.title)),
      // Only a web address or one of this server's is a link: a list's data could carry a javascript: one.
      h('div', {}, SAFE_LINK.test(a.link) ? h('a', { href: a.link, 'data-testid': 'alert-link', rel: 'noopener noreferrer' }, a.link.startsWith('/') ? 'the evidence' : a.link) : h('span', { 'data-testid': 'alert-link' }, a.link), ' ', toggle),
      h('details', {}, h('summary', {}, 'Evidence'), h('pre', { class: 'evidence' }, JSON.stringify(a.evidence, null, 2))),
    );
    return item;
  }

  /** A new address for your Atom feed, shown once; the one before stops working. */
  function feedCard() {
    const shown = h('p', { class: 'muted', 'data-testid': 'feed-url' });
    const button = h('button', { type: 'button' }, 'New feed address');
    button.addEventListener('click', async () => {
      try {
        const feed = await send('POST', '/api/alerts/feed');
        shown.replaceChildren('Your Atom feed (shown once; a new address ends this one): ', h('code', {}, feed.url));
      } catch (e) {
        showError(e);
      }
    });
    return card('Atom feed', 'feed-card', h('p', {}, 'Your alerts in a feed reader, by an address that opens the feed and nothing else.'), button, shown);
  }

  /** The inbox: `query` may ask for unread alerts only (?unread=true); "More" follows the server's next page. */
  async function show(query) {
    const unread = query.get('unread') === 'true';
    const first = await apiCursor(`/api/alerts${unread ? '?unread=true' : ''}`);
    const list = h('ul', { class: 'alert-list', 'data-testid': 'alert-list' }, ...first.rows.map(alertItem));
    const more = h('button', { type: 'button', name: 'more' }, 'More');
    let next = first.next;
    more.hidden = !next;
    more.addEventListener('click', async () => {
      more.disabled = true;
      try {
        const page = await apiCursor(next);
        list.append(...page.rows.map(alertItem));
        next = page.next;
        more.hidden = !next;
      } catch (e) {
        showError(e);
      } finally {
        more.disabled = false;
      }
    });
    const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', name: 'unread', ...(unread ? { checked: '' } : {}) }));
    box.addEventListener('change', () => {
      location.hash = box.checked ? '#/alerts?unread=true' : '#/alerts';
    });
    const filter = h('label', {}, box, ' Unread only');
    const empty = first.rows.length === 0 ? h('p', { class: 'muted' }, unread ? 'No unread alerts.' : 'No alerts yet: watch institutions, list entries, countries, fields or topics to be told what changes.') : '';
    return [card('Alerts', 'inbox-card', filter, empty, list, more), feedCard()];
  }

  return { show };
}
