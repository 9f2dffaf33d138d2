// image.js: one image: summary, platforms of an index, layers with the
// commands that made them (manifest + config history through /v2), the
// pull command, and its findings with sorting, filters and server-side
// paging. The scan state refreshes by itself while a scan is queued or
// running.
import { h, mount, num, bytes, short, when, table, statusBadge, sevBadge, copyButton, SEVERITIES } from '../dom.js';
import { api, enc } from '../api.js';

const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, ' +
  'application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json';
const PAGE = 50;

export async function render(main, [repo, ref], ctx) {
  const base = `/api/v1/repositories/${enc(repo)}/images/${encodeURIComponent(ref)}`;
  const img = await api(base);
  if (!ctx.current()) return;
  const state = { severity: '', fix_state: '', package: '', id: '', known_exploited: false, offset: 0, sort: 'severity' };
  const findingsBox = h('div', { id: 'findings' });
  const scanBox = h('span', { id: 'scan-state', 'aria-live': 'polite' });
  const host = location.host;
  const pull = `docker pull ${host}/${repo}@${img.digest}`;
  const mayPull = ctx.session && ['owner', 'reader', 'writer', 'local'].includes(ctx.session.role);

  mount(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/repositories' }, 'Repositories'), ' / ',
      h('a', { href: '#/repo/' + enc(repo) }, repo), ' / '),
    h('h1', null, `${repo}${img.tags && img.tags.length ? ':' + img.tags[0] : '@' + short(img.digest)}`),
    h('section', { class: 'card' },
      h('dl', { class: 'facts' },
        fact('Status', statusBadge(img.status, img.statusReason), img.statusReason ? ` (${img.statusReason})` : ''),
        fact('Scan', scanBox),
        fact('Digest', h('code', { class: 'wrap' }, img.digest)),
        fact('Tags', (img.tags || []).join(', ') || '–'),
        fact('Platform', img.platform || '–'),
        fact('OS', img.osName || img.os || '–'),
        fact('Size', bytes(img.size)),
        fact('Packages', num(img.packages)),
        fact('Fixable findings', num(img.fixable))),
      mayPull ? h('p', { class: 'pull' }, h('code', null, pull), ' ', copyButton(pull, 'Copy pull command')) : null),
    img.isIndex ? h('section', { class: 'card' }, h('h2', null, 'Platforms'),
      table(['Platform', 'Digest', 'OS', 'Status', 'Findings'], (img.manifests || []).map((m) => [m.platform || '–',
        h('a', { href: `#/image/${enc(repo)}@${encodeURIComponent(m.digest)}` }, h('code', null, short(m.digest))),
        m.os || '–', statusBadge(m.status, m.statusReason), num(m.counts?.total)]))) : null,
    h('section', { class: 'card' }, h('h2', null, 'Findings by severity'),
      h('p', { class: 'counts' }, SEVERITIES.map((s) => h('span', null, sevBadge(s[0].toUpperCase() + s.slice(1)), ' ', num(img.counts?.[s]))))),
    h('section', { class: 'card', 'aria-labelledby': 'fh' }, h('h2', { id: 'fh' }, 'Findings'), filters(state, () => loadFindings()), findingsBox),
    img.isIndex ? null : packagesSection(repo, img.digest, ctx),
    mayPull && !img.isIndex ? layersSection(repo, img.digest) : null);

  showScan(img);
  poll();
  loadFindings();

  function showScan(x) {
    const sc = x.scan || {};
    mount(scanBox, `${sc.state || 'unknown'}`, sc.scannedAt ? `, ${when(sc.scannedAt)}` : '', sc.error ? ` (${sc.error})` : '');
  }

  async function poll() {
    if (!['queued', 'analyzing'].includes(img.scan?.state)) return;
    await new Promise((r) => setTimeout(r, 1500));
    if (!ctx.current()) return;
    const next = await api(base).catch(() => null);
    if (!next || !ctx.current()) return;
    const was = img.scan?.state;
    Object.assign(img, next);
    showScan(img);
    if (was !== next.scan?.state && next.scan?.state === 'done') return render(main, [repo, ref], ctx);
    poll();
  }

  async function loadFindings() {
    const q = new URLSearchParams();
    for (const k of ['severity', 'fix_state', 'package', 'id']) if (state[k]) q.set(k, state[k]);
    if (state.known_exploited) q.set('known_exploited', 'true');
    q.set('limit', PAGE);
    q.set('offset', state.offset);
    let r;
    try {
      r = await api(`${base}/findings?${q}`);
    } catch (e) {
      return mount(findingsBox, h('p', { class: 'error', role: 'alert' }, e.message));
    }
    if (!ctx.current()) return;
    const rows = (r.findings || []).slice();
    if (state.sort === 'package') rows.sort((a, b) => a.package.localeCompare(b.package));
    if (state.sort === 'id') rows.sort((a, b) => a.id.localeCompare(b.id));
    const last = Math.min(r.offset + rows.length, r.total);
    mount(findingsBox,
      h('p', { class: 'muted', id: 'findings-total' }, r.total ? `${num(r.offset + 1)}–${num(last)} of ${num(r.total)}` : 'No findings match.'),
      table(['Severity', 'Vulnerability', 'Package', 'Installed', 'Fixed in', 'Layer', img.isIndex ? 'Platform' : null].filter(Boolean),
        rows.map((f) => [sevBadge(f.severity), h('span', null, h('a', { href: '#/vuln/' + encodeURIComponent(f.id) }, f.id),
          f.knownExploited ? [' ', h('span', { class: 'sev sev-critical', title: 'in the known exploited vulnerabilities catalog' }, 'exploited')] : null,
          f.cvss && f.cvss.score ? h('span', { class: 'muted' }, ` CVSS ${f.cvss.score}`) : null),
          f.package, h('code', null, f.installedVersion || ''), f.fixedVersion ? h('code', null, f.fixedVersion) : h('span', { class: 'muted' }, f.fixState || 'not fixed'),
          f.layerIndex === undefined || f.layerIndex === null ? '–' : String(f.layerIndex), img.isIndex ? (f.platform || '') : null].filter((x) => x !== null)),
        { empty: 'No findings match.', class: 'findings' }),
      h('div', { class: 'pager' },
        h('button', { type: 'button', disabled: r.offset === 0, onclick: () => { state.offset = Math.max(0, r.offset - PAGE); loadFindings(); } }, 'Previous'),
        h('button', { type: 'button', disabled: !r.next, onclick: () => { state.offset = r.offset + PAGE; loadFindings(); } }, 'Next')));
  }
}

function fact(k, ...v) { return [h('dt', null, k), h('dd', null, v)]; }

function filters(state, reload) {
  const sel = (id, label, opts, key) => {
    const el = h('select', { id, name: key }, opts.map(([v, t]) => h('option', { value: v }, t)));
    el.addEventListener('change', () => { state[key] = el.value; state.offset = 0; reload(); });
    return h('div', { class: 'field' }, h('label', { for: id }, label), el);
  };
  const txt = (id, label, key, ph) => {
    const el = h('input', { id, name: key, type: 'search', placeholder: ph });
    let t;
    el.addEventListener('input', () => { clearTimeout(t); t = setTimeout(() => { state[key] = el.value.trim(); state.offset = 0; reload(); }, 300); });
    return h('div', { class: 'field' }, h('label', { for: id }, label), el);
  };
  const kev = h('input', { id: 'f-kev', type: 'checkbox' });
  kev.addEventListener('change', () => { state.known_exploited = kev.checked; state.offset = 0; reload(); });
  return h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
    sel('f-sev', 'Severity', [['', 'Any'], ...SEVERITIES.map((s) => [s, s[0].toUpperCase() + s.slice(1)])], 'severity'),
    sel('f-fix', 'Fix', [['', 'Any'], ['fixed', 'Fixable'], ['not-fixed', 'Not fixed'], ['will-not-fix', "Won't fix"]], 'fix_state'),
    txt('f-pkg', 'Package', 'package', 'e.g. openssl'),
    txt('f-id', 'CVE', 'id', 'e.g. CVE-2023-0286'),
    sel('f-sort', 'Sort page by', [['severity', 'Severity'], ['package', 'Package'], ['id', 'Vulnerability']], 'sort'),
    h('div', { class: 'field check' }, kev, h('label', { for: 'f-kev' }, 'Known exploited only')));
}

function layersSection(repo, digest) {
  const box = h('div', null, h('p', { class: 'muted' }, 'Loading layers…'));
  (async () => {
    try {
      const m = await api(`/v2/${enc(repo)}/manifests/${digest}`, { accept: ACCEPT });
      const cfg = m.config ? await api(`/v2/${enc(repo)}/blobs/${m.config.digest}`, { accept: '*/*' }) : null;
      const hist = (cfg && cfg.history) || [];
      const layers = m.layers || [];
      let li = 0;
      const rows = [];
      for (const step of hist.length ? hist : layers.map(() => ({}))) {
        const empty = step.empty_layer === true;
        const l = empty ? null : layers[li++];
        rows.push([empty ? '–' : String(li - 1), l ? bytes(l.size) : '0 B', h('code', { class: 'cmd' }, step.created_by || '(no history)'), when(step.created)]);
      }
      mount(box, cfg ? h('p', null, `Created ${when(cfg.created)}, ${cfg.os || ''}/${cfg.architecture || ''}`) : null,
        table(['Layer', 'Size', 'Command', 'Created'], rows, { empty: 'No layers.' }));
    } catch (e) {
      mount(box, h('p', { class: 'muted' }, e.status === 403 ? 'Your role may not read this image’s layers.' : 'Layers not available: ' + e.message));
    }
  })();
  return h('section', { class: 'card' }, h('h2', null, 'Layers'), box);
}

function packagesSection(repo, digest, ctx) {
  const base = `/api/v1/repositories/${enc(repo)}/images/${encodeURIComponent(digest)}`;
  const box = h('div', { id: 'packages' });
  const st = { q: '', offset: 0 };
  const load = async () => {
    const q = new URLSearchParams({ limit: PAGE, offset: st.offset });
    if (st.q) q.set('q', st.q);
    let r;
    try { r = await api(`${base}/packages?${q}`); } catch (e) { return mount(box, h('p', { class: 'muted' }, e.message)); }
    if (!ctx.current()) return;
    mount(box, h('p', { class: 'muted', id: 'packages-total' }, r.total ? `${num(r.offset + 1)}–${num(r.offset + r.packages.length)} of ${num(r.total)}` : 'No packages match.'),
      table(['Package', 'Version', 'Type', 'Source', 'Layer', 'License'], r.packages.map((p) => [p.name, h('code', null, p.version || ''), p.type,
        p.sourceName && p.sourceName !== p.name ? p.sourceName : '', p.layerIndex === null ? '–' : String(p.layerIndex), p.license || '']), { empty: 'No packages match.' }),
      r.total > PAGE ? h('div', { class: 'pager' },
        h('button', { type: 'button', disabled: r.offset === 0, onclick: () => { st.offset = Math.max(0, r.offset - PAGE); load(); } }, 'Previous'),
        h('button', { type: 'button', disabled: !r.next, onclick: () => { st.offset = r.offset + PAGE; load(); } }, 'Next')) : null);
  };
  const filter = h('input', { id: 'p-q', type: 'search', placeholder: 'name contains' });
  let t;
  filter.addEventListener('input', () => { clearTimeout(t); t = setTimeout(() => { st.q = filter.value.trim(); st.offset = 0; load(); }, 300); });
  load();
  return h('section', { class: 'card', 'aria-labelledby': 'ph' }, h('h2', { id: 'ph' }, 'Packages'),
    h('div', { class: 'filters' }, h('div', { class: 'field' }, h('label', { for: 'p-q' }, 'Package name'), filter),
      h('a', { class: 'button', href: `${base}/sbom`, download: '' }, 'Download SBOM (CycloneDX)')), box);
}
