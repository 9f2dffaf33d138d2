// repositories.js: every repository with its image health and finding counts.
import { h, mount, num, table, SEVERITIES } from '../dom.js';
import { api, enc } from '../api.js';

export async function render(main, _p, ctx) {
  const r = await api('/api/v1/repositories');
  if (!ctx.current()) return;
  const list = r.repositories || r || [];
  mount(main, h('h1', null, 'Repositories'),
    table(['Repository', 'Images', 'Healthy', 'Unhealthy', 'Not assessed', ...SEVERITIES.map((s) => s[0].toUpperCase() + s.slice(1))],
      list.map((x) => [h('a', { href: '#/repo/' + enc(x.repository) }, x.repository), num(x.images), num(x.healthy), num(x.unhealthy), num(x.notAssessed),
        ...SEVERITIES.map((s) => num(x.counts?.[s]))]),
      { empty: 'No repositories yet. Push an image (docker push HOST/name:tag) and it appears here.', class: 'num' }));
}
