// @ts-check
// Your account: API tokens, alerts by mail, logging out, and for an admin the users of the organisation (add,
// change role, disable, enable, delete). The server checks every change; this page only asks.
// Every text from the server is set with textContent (via h), never as HTML.

const ROLES = ['viewer', 'analyst', 'officer', 'admin'];

export function accountModule({ h, api, send, card }) {
  const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
  const act = (label, work, attrs = {}) => {
    const b = h('button', { type: 'button', ...attrs }, label);
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await work();
        reload();
      } catch (e) {
        b.disabled = false;
        alertBox(e.message);
      }
    });
    return b;
  };
  const alertBox = (message) => {
    const box = document.getElementById('error');
    box.textContent = message;
    box.hidden = false;
  };

  function tokensCard(tokens) {
    const shown = h('p', { class: 'muted', 'data-testid': 'new-token' });
    const form = h(
      'form',
      { class: 'inline' },
      h('input', { name: 'label', required: '', maxlength: '100', placeholder: 'what the token is for' }),
      h('label', {}, 'days ', h('input', { name: 'days', type: 'number', min: '1', max: '90', value: '90', required: '' })),
      h('button', { type: 'submit' }, 'New token'),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const t = await send('POST', '/api/tokens', { label: form.elements.label.value, days: Number(form.elements.days.value) });
        shown.replaceChildren('Copy it now, it is shown once (it expires ', t.expiresAt.slice(0, 10), '): ', h('code', {}, t.token));
      } catch (err) {
        alertBox(err.message);
      }
    });
    const rows = tokens.map((t) =>
      h(
        'tr',
        {},
        h('td', {}, t.label),
        h('td', {}, t.email),
        h('td', {}, t.createdAt.slice(0, 16).replace('T', ' ')),
        h('td', {}, t.expired ? `expired ${t.expiresAt.slice(0, 10)}` : t.expiresAt.slice(0, 10)),
        h(
          'td',
          {},
          act('Revoke', () => send('DELETE', `/api/tokens/${t.id}`)),
        ),
      ),
    );
    return card('API tokens', 'tokens-card', h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Label'), h('th', {}, 'User'), h('th', {}, 'Created'), h('th', {}, 'Expires'), h('th', {}, ''))), h('tbody', {}, ...rows)), form, shown);
  }

  function usersCard(users, me) {
    const rows = users.map((u) => {
      const role = h('select', { name: 'role', 'aria-label': `role of ${u.email}` });
      for (const r of ROLES) role.append(h('option', { value: r, ...(r === u.role ? { selected: '' } : {}) }, r));
      role.addEventListener('change', async () => {
        try {
          await send('PATCH', `/api/users/${u.id}`, { role: role.value });
          reload();
        } catch (e) {
          role.value = u.role;
          alertBox(e.message);
        }
      });
      const remove = act('Delete', () => (confirm(`Delete ${u.email}? Their sessions and tokens end now.`) ? send('DELETE', `/api/users/${u.id}`) : Promise.resolve()));
      return h(
        'tr',
        { 'data-email': u.email },
        h('td', {}, u.email),
        h('td', {}, u.name),
        h('td', {}, role),
        h('td', {}, u.disabled ? 'disabled' : 'active'),
        h('td', {}, ...(u.id === me.userId ? [h('span', { class: 'muted' }, 'you')] : [act(u.disabled ? 'Enable' : 'Disable', () => send('PATCH', `/api/users/${u.id}`, { disabled: !u.disabled })), ' ', remove])),
      );
    });
    const add = h(
      'form',
      { class: 'inline', 'data-testid': 'add-user' },
      h('input', { name: 'email', type: 'email', required: '', placeholder: 'e-mail', autocomplete: 'off' }),
      h('input', { name: 'name', required: '', placeholder: 'name' }),
      h('select', { name: 'role' }, ...ROLES.map((r) => h('option', { value: r }, r))),
      h('input', { name: 'password', type: 'password', required: '', minlength: '12', placeholder: 'first password (12+ characters)', autocomplete: 'new-password' }),
      h('button', { type: 'submit' }, 'Add user'),
    );
    add.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await send('POST', '/api/users', { email: add.elements.email.value, name: add.elements.name.value, role: add.elements.role.value, password: add.elements.password.value });
        reload();
      } catch (err) {
        alertBox(err.message);
      }
    });
    const table = h('table', { 'data-testid': 'users-table' }, h('thead', {}, h('tr', {}, ...['E-mail', 'Name', 'Role', 'Status', ''].map((t) => h('th', {}, t)))), h('tbody', {}, ...rows));
    const c = card(`Users of ${me.orgId}`, 'users-card', table, add, h('p', { class: 'muted' }, 'A disabled or deleted user is logged out at once and their tokens are revoked. Every change is in the audit trail.'));
    c.classList.add('wide');
    return c;
  }

  const MAIL_MODES = [
    ['off', 'Off'],
    ['immediate', 'Immediately, one mail per alert'],
    ['digest', 'Daily digest, one mail a day'],
  ];

  /** Your alerts by mail: off, immediate or a daily digest; saved as soon as it is chosen. */
  function mailCard(setting) {
    const select = h('select', { name: 'mode', 'aria-label': 'alerts by mail' }, ...MAIL_MODES.map(([value, label]) => h('option', { value, ...(value !== 'off' && !setting.configured ? { disabled: '' } : {}) }, label)));
    select.value = setting.mode;
    const status = h('p', { class: 'muted', 'data-testid': 'mail-status', role: 'status' }, setting.configured ? '' : 'This installation sends no mail: an administrator sets DERISK_SMTP_URL, DERISK_MAIL_FROM and DERISK_PUBLIC_URL first.');
    let saved = setting.mode;
    select.addEventListener('change', async () => {
      const mode = select.value;
      select.disabled = true;
      try {
        await send('PUT', '/api/alerts/mail', { mode });
        saved = mode;
        status.textContent = mode === 'off' ? 'Saved: no alert mails.' : `Saved: ${MAIL_MODES.find(([v]) => v === mode)?.[1].toLowerCase()}.`;
      } catch (err) {
        select.value = saved;
        alertBox(err.message);
      } finally {
        select.disabled = false;
      }
    });
    return card('Alerts by mail', 'mail-card', h('label', { class: 'field' }, 'Send my alerts by mail ', select), status);
  }

  async function show() {
    const { user } = await api('/api/session');
    const nodes = [
      card(
        'You',
        'me-card',
        h('p', {}, `${user.name} · ${user.role} · ${user.orgId}`),
        act('Log out', async () => {
          await send('POST', '/api/logout', {});
          location.hash = '#/';
        }),
      ),
    ];
    nodes.push(mailCard(await api('/api/alerts/mail')));
    nodes.push(tokensCard(await api('/api/tokens')));
    if (user.role === 'admin') nodes.push(usersCard(await api('/api/users'), user));
    return nodes;
  }

  return { show };
}
