// recommendations.js: one recommendation per vulnerability that affects at
// least one unhealthy image (sub-assessments exist for unhealthy images
// only): severity, affected images, the fixed version, and the images.
import { h, mount, num, table, sevBadge, short } from '../dom.js';
import { query, enc } from '../api.js';

const RANK = { Critical: 0, High: 1, Medium: 2, Low: 3, Negligible: 4, Unknown: 5 };

export async function render(main, _p, ctx) {
  const r = await query(`securityresources
| where type == "microsoft.security/assessments/subassessments"
| extend p = properties.additionalData
| summarize images = dcount(tostring(p.imageDigest)), fixed = make_set(tostring(p.package.fixedVersion), 5),
    packages = make_set(tostring(p.package.name), 5), list = make_set(strcat(tostring(p.repositoryName), "@", tostring(p.imageDigest)), 50)
    by id = tostring(properties.id), severity = tostring(properties.status.severity)`);
  if (!ctx.current()) return;
  const rows = (r.data || []).sort((a, b) => (RANK[a.severity] ?? 9) - (RANK[b.severity] ?? 9) || b.images - a.images || a.id.localeCompare(b.id));
  mount(main, h('h1', null, 'Recommendations'),
    h('p', { class: 'lead' }, 'Container registry images should have vulnerability findings resolved. ',
      `${num(rows.length)} vulnerabilities affect unhealthy images.`),
    table(['Severity', 'Vulnerability', 'Affected images', 'Packages', 'Remediation', 'Images'],
      rows.map((x) => [sevBadge(x.severity), h('a', { href: '#/vuln/' + encodeURIComponent(x.id) }, x.id), num(x.images),
        (x.packages || []).join(', '),
        (x.fixed || []).filter(Boolean).length ? 'Upgrade to ' + x.fixed.filter(Boolean).join(' / ') : 'No fix yet',
        h('details', null, h('summary', null, `${num(x.images)} image${x.images === 1 ? '' : 's'}`),
          h('ul', null, (x.list || []).map((ri) => {
            const at = ri.lastIndexOf('@');
            const repo = ri.slice(0, at), dg = ri.slice(at + 1);
            return h('li', null, h('a', { href: `#/image/${enc(repo)}@${encodeURIComponent(dg)}` }, `${repo}@${short(dg)}`));
          })))]),
      { empty: 'Nothing to do: no unhealthy image.' }));
}
