// overview.js: the registry's security posture at a glance: health of the
// images (with the reasons of those not assessed), findings by severity,
// known-exploited findings, the most widespread vulnerabilities, the most
// affected repositories, the vulnerability database and the trend of new
// vs resolved findings per day. Each number comes from one API call.
import { h, mount, num, ago, when, SEVERITIES, table } from '../dom.js';
import { api, query, enc } from '../api.js';
import { bars, stack, columns } from '../charts.js';

const SUB = 'securityresources | where type == "microsoft.security/assessments/subassessments"';
const cap = (s) => s[0].toUpperCase() + s.slice(1);

export async function render(main, _p, ctx) {
  // the REST summaries first (fast at any size); the three KQL-backed parts
  // (most widespread vulnerabilities, known-exploited count, not-assessed
  // reasons) fill their cards when their queries return
  const [sum, repos, db, hist] = await Promise.all([
    api('/api/v1/summary'),
    api('/api/v1/repositories'),
    api('/api/v1/db').catch(() => null),
    api('/api/v1/history?limit=10000').catch(() => ({ changes: [] })),
  ]);
  if (!ctx.current()) return;
  const c = sum.counts || {};
  const repoList = (repos.repositories || repos || []).slice()
    .sort((a, b) => (b.counts?.total || 0) - (a.counts?.total || 0)).slice(0, 10);
  const perDay = new Map();
  for (const ch of hist.changes || []) {
    const d = String(ch.time).slice(0, 10);
    const e = perDay.get(d) || { day: d, a: 0, b: 0 };
    if (ch.change === 'new') e.a++; else if (ch.change === 'resolved') e.b++;
    perDay.set(d, e);
  }
  const days = [...perDay.values()].sort((x, y) => x.day.localeCompare(y.day)).slice(-30);
  const kevValue = h('span', { class: 'tile-v', id: 'kev-count' }, '…');
  const kevTile = h('div', { class: 'tile' }, kevValue, h('span', { class: 'tile-l' }, 'Known exploited'));
  const reasonsBox = h('div', { 'aria-live': 'polite' });
  const topBox = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  mount(main,
    h('h1', null, 'Overview'),
    h('section', { class: 'tiles', 'aria-label': 'Totals' },
      tile('Images', num(sum.images), '#/repositories'),
      tile('Healthy', num(sum.healthy), null, 'ok'),
      tile('Unhealthy', num(sum.unhealthy), '#/recommendations', 'bad'),
      tile('Not assessed', num(sum.notAssessed), null, 'na'),
      tile('Findings', num(c.total)),
      kevTile),
    h('div', { class: 'grid' },
      h('section', { class: 'card' }, h('h2', null, 'Image health'),
        stack([{ label: 'Healthy', value: sum.healthy || 0, cls: 'ok' }, { label: 'Unhealthy', value: sum.unhealthy || 0, cls: 'bad' },
          { label: 'Not assessed', value: sum.notAssessed || 0, cls: 'na' }], { title: 'Images by health' }), reasonsBox),
      h('section', { class: 'card' }, h('h2', null, 'Findings by severity'),
        bars(SEVERITIES.map((k) => ({ label: cap(k), value: c[k] || 0, cls: 'sev-' + k })), { title: 'Findings by severity' })),
      h('section', { class: 'card' }, h('h2', null, 'Most widespread vulnerabilities'), topBox),
      h('section', { class: 'card' }, h('h2', null, 'Most affected repositories'),
        repoList.length ? bars(repoList.map((r) => ({ label: r.repository, value: r.counts?.total || 0, cls: 'sev-high', href: '#/repo/' + enc(r.repository) })), { title: 'Findings per repository' })
          : h('p', { class: 'muted' }, 'No repositories yet. Push an image to see it here.')),
      h('section', { class: 'card' }, h('h2', null, 'New and resolved findings per day'),
        days.length ? columns(days, { title: 'New and resolved findings per day, from the re-assessment history' })
          : h('p', { class: 'muted' }, 'No re-assessment history yet: it grows with every vulnerability database update.')),
      h('section', { class: 'card' }, h('h2', null, 'Vulnerability database'), dbCard(db))));

  const late = [
    query(`${SUB} | summarize images = dcount(tostring(properties.additionalData.imageDigest)) by id = tostring(properties.id), severity = tostring(properties.status.severity) | top 10 by images desc`)
      .then((top) => ctx.current() && mount(topBox, top.data.length
        ? bars(top.data.map((r) => ({ label: r.id, value: r.images, cls: 'sev-' + String(r.severity).toLowerCase(), href: '#/vuln/' + encodeURIComponent(r.id) })), { title: 'Images affected per vulnerability' })
        : h('p', { class: 'muted' }, 'No findings.')))
      .catch(() => ctx.current() && mount(topBox, h('p', { class: 'muted' }, 'Not available.'))),
    query(`${SUB} | where tobool(properties.additionalData.knownExploited) == true | count`)
      .then((kev) => {
        const n = kev.data && kev.data[0] ? kev.data[0].Count : 0;
        kevValue.textContent = num(n);
        if (n) kevTile.classList.add('bad');
      }).catch(() => { kevValue.textContent = '–'; }),
    sum.notAssessed ? query('resources | where type == "drydock/images" and status == "NotAssessed" | summarize images = count() by reason = tostring(properties.statusReason)')
      .then((r) => ctx.current() && r.data.length && mount(reasonsBox, h('h3', null, 'Not assessed, because'),
        h('ul', { class: 'reasons' }, r.data.map((x) => h('li', null, `${x.reason || 'no reason given'}: ${num(x.images)}`)))))
      .catch(() => {}) : null,
  ];
  Promise.all(late).then(() => ctx.current() && performance.mark('dd-overview-complete'));
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

