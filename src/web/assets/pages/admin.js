// admin.js: administration for Owners: users (role and repositories
// editable), the scan scope, robot tokens, "update now" for the
// vulnerability database (create, with
// the secret shown once; revoke), the vulnerability database and scanner
// status. Users are added with the CLI (`drydock user add`): passwords do
// not travel through the browser.
import { h, mount, num, ago, when, table, copyButton } from '../dom.js';
import { api } from '../api.js';

const ROLES = ['reader', 'writer', 'deleter', 'securityreader', 'owner'];

export async function render(main, _p, ctx) {
  const [users, tokens, db, sc, scope] = await Promise.all([
    api('/api/v1/admin/users').catch((e) => ({ error: e })), api('/api/v1/admin/tokens').catch((e) => ({ error: e })),
    api('/api/v1/db').catch(() => null), api('/api/v1/scanner').catch(() => null),
    api('/api/v1/admin/scan-scope').catch(() => null)]);
  if (!ctx.current()) return;
  const tokBox = h('div', { id: 'tokens' });
  const secretBox = h('div', { id: 'token-secret', 'aria-live': 'polite' });
  const showTokens = async (list) => {
    const t = list || (await api('/api/v1/admin/tokens')).tokens;
    mount(tokBox, table(['ID', 'Name', 'Role', 'Repositories', 'Created', 'Expires', 'State', ''],
      t.map((x) => [h('code', null, x.id), x.name || '–', x.role, x.repos || 'all', when(x.created), x.expires === 'never' ? 'never' : when(x.expires), x.state,
        x.state === 'active' ? h('button', { type: 'button', class: 'small', 'aria-label': 'Revoke ' + x.id, onclick: async () => {
          if (!confirm(`Revoke token ${x.id}? Clients using it stop working at once.`)) return;
          await api('/api/v1/admin/tokens/' + encodeURIComponent(x.id), { method: 'DELETE' });
          showTokens();
        } }, 'Revoke') : '']), { empty: 'No robot tokens.' }));
  };
  const name = h('input', { id: 't-name', maxlength: 60 });
  const role = h('select', { id: 't-role' }, ROLES.map((r) => h('option', { value: r }, r)));
  const repos = h('input', { id: 't-repos', placeholder: 'all, or team/*,lib-?' });
  const expires = h('select', { id: 't-exp' }, ['7d', '30d', '90d', '1y', 'never'].map((d) => h('option', { value: d, selected: d === '30d' }, d)));
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'filters', 'aria-label': 'Create a robot token' },
    field('t-name', 'Name', name), field('t-role', 'Role', role), field('t-repos', 'Repositories', repos), field('t-exp', 'Expires in', expires),
    h('button', { type: 'submit' }, 'Create token'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    try {
      const t = await api('/api/v1/admin/tokens', { method: 'POST', json: { name: name.value, role: role.value, repos: repos.value.trim(), expires: expires.value } });
      mount(secretBox, h('div', { class: 'card secret' }, h('p', null, `Token ${t.id} created. Its secret is shown only now:`),
        h('p', null, h('code', { id: 'secret-value' }, t.secret), ' ', copyButton(t.secret)),
        h('p', { class: 'muted' }, 'Use it as a password (docker login -u any -p SECRET) or as a Bearer token.')));
      name.value = '';
      showTokens();
    } catch (e) { err.textContent = e.message; }
  });

  const userMsg = h('p', { 'aria-live': 'polite', id: 'user-msg' });
  // a user's role and repository globs (PUT /api/v1/admin/users/<name>)
  const userRow = (u) => {
    const r = h('select', { 'aria-label': 'Role of ' + u.name }, ROLES.map((x) => h('option', { value: x, selected: x === u.role }, x)));
    const g = h('input', { 'aria-label': 'Repositories of ' + u.name, value: u.repos, placeholder: 'all' });
    const save = h('button', { type: 'button', class: 'small', 'aria-label': 'Save ' + u.name, onclick: async () => {
      userMsg.className = '';
      try {
        const x = await api('/api/v1/admin/users/' + encodeURIComponent(u.name), { method: 'PUT', json: { role: r.value, repos: g.value.trim() } });
        userMsg.textContent = `${x.name}: role ${x.role}, repositories ${x.repos || 'all'}.`;
      } catch (e) { userMsg.className = 'error'; userMsg.textContent = e.message; }
    } }, 'Save');
    return [u.name, r, g, when(u.created), save];
  };
  // the scan scope (PUT /api/v1/admin/scan-scope)
  const scopeMsg = h('p', { 'aria-live': 'polite', id: 'scope-msg' });
  const inc = h('input', { id: 's-include', value: scope?.include || '', placeholder: 'all repositories' });
  const exc = h('input', { id: 's-exclude', value: scope?.exclude || '', placeholder: 'none' });
  const scopeForm = h('form', { class: 'filters', 'aria-label': 'Scan scope' },
    field('s-include', 'Scan only', inc), field('s-exclude', 'Never scan', exc), h('button', { type: 'submit' }, 'Save scope'));
  scopeForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    scopeMsg.className = '';
    try {
      const x = await api('/api/v1/admin/scan-scope', { method: 'PUT', json: { include: inc.value.trim(), exclude: exc.value.trim() } });
      scopeMsg.textContent = `Saved: scanning ${x.include || 'every repository'}${x.exclude ? ', except ' + x.exclude : ''}. Pushes from now on follow it.`;
    } catch (e) { scopeMsg.className = 'error'; scopeMsg.textContent = e.message; }
  });
  // "update now" (POST /api/v1/admin/db/update), its status polled while it runs
  const updBox = h('div', { id: 'db-update', 'aria-live': 'polite' });
  const updBtn = h('button', { type: 'button', id: 'db-update-now' }, 'Update now');
  const showUpd = (u) => {
    updBtn.disabled = u.state === 'running';
    mount(updBox, u.state === 'idle' ? null : h('div', null,
      h('p', { id: 'db-update-state', class: u.state === 'failed' ? 'error' : null },
        u.state === 'running' ? `Running since ${when(u.started)} (started by ${u.actor})…`
          : `Last update ${u.state} (exit code ${u.exitCode}), ${when(u.finished)}, started by ${u.actor}.`),
      u.output ? h('pre', { class: 'wrap' }, u.output) : null));
    if (u.state === 'running') setTimeout(() => ctx.current() && api('/api/v1/admin/db/update').then(showUpd).catch(() => {}), 1500);
  };
  updBtn.addEventListener('click', async () => {
    try { showUpd(await api('/api/v1/admin/db/update', { method: 'POST' })); } catch (e) { mount(updBox, h('p', { class: 'error', role: 'alert' }, e.message)); }
  });
  api('/api/v1/admin/db/update').then((u) => ctx.current() && showUpd(u)).catch(() => {});
  mount(main, h('h1', null, 'Administration'),
    h('section', { class: 'card' }, h('h2', null, 'Users'),
      users.error ? h('p', { class: 'error' }, users.error.message)
        : table(['User', 'Role', 'Repositories', 'Created', ''], users.users.map(userRow), { empty: 'No users: the server is open on loopback.' }),
      userMsg,
      h('p', { class: 'muted' }, 'Add users with ', h('code', null, 'drydock user add NAME --role ROLE'), '.')),
    h('section', { class: 'card' }, h('h2', null, 'Robot tokens'), form, err, secretBox, tokBox),
    h('section', { class: 'card' }, h('h2', null, 'Scan scope'),
      !scope ? h('p', { class: 'muted' }, 'Not available.')
        : !scope.enabled ? h('p', { class: 'muted' }, 'Scanning is off on this server (the scan setting).')
          : h('div', null, h('p', { class: 'muted' }, 'Comma-separated repository globs (team/*, lib-?). Images pushed before a change keep their state until pushed again.'),
            scopeForm, scopeMsg)),
    h('section', { class: 'card' }, h('h2', null, 'Vulnerability database'),
      db ? h('p', null, `Status ${db.status}, version ${num(db.version)}, updated ${ago(db.updated)}.`) : h('p', { class: 'muted' }, 'Not available.'),
      h('p', { class: 'muted' }, '“Update now” runs ', h('code', null, 'drydock db update'), ' on the server in the background; the server picks the new data up by itself.'),
      updBtn, updBox),
    h('section', { class: 'card' }, h('h2', null, 'Scanner'),
      sc ? table(['Counter', 'Value'], Object.entries(sc).map(([k, v]) => [k, num(v)])) : h('p', { class: 'muted' }, 'Not available.')));
  if (tokens.error) mount(tokBox, h('p', { class: 'error' }, tokens.error.message));
  else showTokens(tokens.tokens);
}

function field(id, label, el) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), el);
}
