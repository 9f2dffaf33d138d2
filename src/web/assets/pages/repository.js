// repository.js: the tags and digests of one repository with their health.
import { h, mount, num, bytes, short, table, statusBadge, when } from '../dom.js';
import { api, enc } from '../api.js';

export async function render(main, [name], ctx) {
  const r = await api(`/api/v1/repositories/${enc(name)}/images`);
  if (!ctx.current()) return;
  const images = r.images || r || [];
  mount(main, h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/repositories' }, 'Repositories'), ' / '),
    h('h1', null, name),
    table(['Tags', 'Digest', 'Platform', 'OS', 'Size', 'Pushed', 'Status', 'Findings', 'Fixable'],
      images.map((i) => [(i.tags || []).join(', ') || '–',
        h('a', { href: `#/image/${enc(name)}@${encodeURIComponent(i.digest)}` }, h('code', null, short(i.digest))),
        i.platform || '–', i.os || '–', bytes(i.size), when(i.scan?.pushedAt), statusBadge(i.status, i.statusReason),
        num(i.counts?.total), num(i.fixable)]),
      { empty: 'No images.' }));
}
