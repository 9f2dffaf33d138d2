// overview.js: the registry's security posture at a glance: health of the
// images (with the reasons of those not assessed), findings by severity,
// known-exploited findings, the most widespread vulnerabilities, the most
// affected repositories, the vulnerability database and the trend of new
// vs resolved findings per day, from GET /api/v1/overview and /api/v1/db.
import { h, mount, num, ago, when, SEVERITIES, table } from '../dom.js';
import { api, enc } from '../api.js';
import { bars, stack, columns } from '../charts.js';

const cap = (s) => s[0].toUpperCase() + s.slice(1);

export async function render(main, _p, ctx) {
  // one aggregate document (GET /api/v1/overview: SQL over the scan store,
  // cached while nothing changes) and the database card
  const [ov, db] = await Promise.all([
    api('/api/v1/overview'),
    api('/api/v1/db').catch(() => null),
  ]);
  if (!ctx.current()) return;
  const c = ov.counts || {};
  const repoList = ov.topRepositories || [];
  const days = (ov.days || []).map((d) => ({ day: d.day, a: d.new, b: d.resolved }));
  const reasons = ov.notAssessedReasons || [];
  const top = ov.topVulnerabilities || [];
  const kevTile = h('div', { class: 'tile' + (ov.knownExploited ? ' bad' : '') },
    h('span', { class: 'tile-v', id: 'kev-count' }, num(ov.knownExploited)), h('span', { class: 'tile-l' }, 'Known exploited'));
  mount(main,
    h('h1', null, 'Overview'),
    h('section', { class: 'tiles', 'aria-label': 'Totals' },
      tile('Images', num(ov.images), '#/repositories'),
      tile('Healthy', num(ov.healthy), null, 'ok'),
      tile('Unhealthy', num(ov.unhealthy), '#/recommendations', 'bad'),
      tile('Not assessed', num(ov.notAssessed), null, 'na'),
      tile('Findings', num(c.total)),
      kevTile),
    h('div', { class: 'grid' },
      h('section', { class: 'card' }, h('h2', null, 'Image health'),
        stack([{ label: 'Healthy', value: ov.healthy || 0, cls: 'ok' }, { label: 'Unhealthy', value: ov.unhealthy || 0, cls: 'bad' },
          { label: 'Not assessed', value: ov.notAssessed || 0, cls: 'na' }], { title: 'Images by health' }),
        reasons.length ? h('div', null, h('h3', null, 'Not assessed, because'),
          h('ul', { class: 'reasons' }, reasons.map((x) => h('li', null, `${x.reason}: ${num(x.images)}`)))) : null),
      h('section', { class: 'card' }, h('h2', null, 'Findings by severity'),
        bars(SEVERITIES.map((k) => ({ label: cap(k), value: c[k] || 0, cls: 'sev-' + k })), { title: 'Findings by severity' })),
      h('section', { class: 'card' }, h('h2', null, 'Most widespread vulnerabilities'),
        top.length ? bars(top.map((r) => ({ label: r.id, value: r.images, cls: 'sev-' + r.severity, href: '#/vuln/' + encodeURIComponent(r.id) })), { title: 'Images affected per vulnerability' })
          : h('p', { class: 'muted' }, 'No findings.')),
      h('section', { class: 'card' }, h('h2', null, 'Most affected repositories'),
        repoList.length ? bars(repoList.map((r) => ({ label: r.repository, value: r.counts?.total || 0, cls: 'sev-high', href: '#/repo/' + enc(r.repository) })), { title: 'Findings per repository' })
          : h('p', { class: 'muted' }, 'No repositories yet. Push an image to see it here.')),
      h('section', { class: 'card' }, h('h2', null, 'New and resolved findings per day'),
        days.length ? columns(days, { title: 'New and resolved findings per day, from the re-assessment history' })
          : h('p', { class: 'muted' }, 'No re-assessment history yet: it grows with every vulnerability database update.')),
      h('section', { class: 'card' }, h('h2', null, 'Vulnerability database'), dbCard(db))));
  performance.mark('dd-overview-complete');
}

function tile(label, value, href, cls) {
  const inner = [h('span', { class: 'tile-v' }, value), h('span', { class: 'tile-l' }, label)];
  return h('div', { class: 'tile ' + (cls || '') }, href ? h('a', { href }, inner) : inner);
}

function dbCard(db) {
  if (!db) return h('p', { class: 'muted' }, 'Not available.');
  if (db.status !== 'ok') return h('p', { class: 'error' }, 'No vulnerability data: images cannot be assessed. Run drydock db update.');
  return h('div', null,
    h('p', null, `Version ${db.version}, updated ${ago(db.updated)} (${when(db.updated)}), ${num(db.records?.vulnerabilities)} vulnerabilities.`),
    table(['Feed', 'Records', 'Updated', 'Errors'], (db.feeds || []).map((f) => [f.name, num(f.records), ago(f.updated), num(f.errors)])));
}

