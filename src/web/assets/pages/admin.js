// admin.js: administration for Owners. The REST API has no user or token
// endpoints yet (docs/auth.md, "Limits"), so this page shows what the API
// offers (database and scanner status) and the CLI commands for the rest.
import { h, mount, num, ago, table } from '../dom.js';
import { api } from '../api.js';

export async function render(main, _p, ctx) {
  const [db, sc] = await Promise.all([api('/api/v1/db').catch(() => null), api('/api/v1/scanner').catch(() => null)]);
  if (!ctx.current()) return;
  mount(main, h('h1', null, 'Administration'),
    h('section', { class: 'card' }, h('h2', null, 'Vulnerability database'),
      db ? h('p', null, `Status ${db.status}, version ${num(db.version)}, updated ${ago(db.updated)}.`) : h('p', { class: 'muted' }, 'Not available.'),
      h('p', { class: 'muted' }, 'Update it with ', h('code', null, 'drydock db update'), '; the server picks the new data up by itself.')),
    h('section', { class: 'card' }, h('h2', null, 'Scanner'),
      sc ? table(['Counter', 'Value'], Object.entries(sc).map(([k, v]) => [k, num(v)])) : h('p', { class: 'muted' }, 'Not available.')),
    h('section', { class: 'card' }, h('h2', null, 'Users and tokens'),
      h('p', null, 'Users and robot tokens are managed with the CLI for now:'),
      h('pre', null, 'drydock user add NAME --role ROLE [--repos GLOB,...]\ndrydock token create --role ROLE --expires 30d\ndrydock token revoke ID')));
}
