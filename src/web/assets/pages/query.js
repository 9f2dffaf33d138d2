// query.js: the KQL console: an editor with examples (docs/query.md), the
// result as a table, and a bar chart when the result has one text column
// and one numeric column (a `summarize ... by`).
import { h, mount, num, table } from '../dom.js';
import { query } from '../api.js';
import { bars } from '../charts.js';

const EXAMPLES = [
  ['Findings by severity', `securityresources
| where type == "microsoft.security/assessments/subassessments"
| where properties.additionalData.assessedResourceType == "ContainerRegistryVulnerability"
| summarize count() by severity = tostring(properties.status.severity)
| order by count_ desc`],
  ['Images per repository', `resources
| where type == "drydock/images"
| summarize images = count() by repository
| order by images desc`],
  ['Unhealthy images', `securityresources
| where type == "microsoft.security/assessments"
| where properties.status.code == "Unhealthy"
| project id, properties.status.code`],
  ['Fixable findings per package', `securityresources
| where type == "microsoft.security/assessments/subassessments"
| where properties.additionalData.patchable == true
| summarize findings = count() by package = tostring(properties.additionalData.package.name)
| top 15 by findings desc`],
];

export async function render(main) {
  const ed = h('textarea', { id: 'kql', rows: 8, spellcheck: 'false', 'aria-describedby': 'kql-help' }, EXAMPLES[0][1]);
  const out = h('div', { id: 'query-result', 'aria-live': 'polite' });
  const ex = h('select', { id: 'kql-ex' }, EXAMPLES.map(([t], i) => h('option', { value: i }, t)));
  ex.addEventListener('change', () => { ed.value = EXAMPLES[ex.value][1]; });
  const run = async () => {
    mount(out, h('p', { class: 'muted' }, 'Running…'));
    try {
      const r = await query(ed.value, 1000);
      const rows = r.data || [];
      const cols = rows.length ? Object.keys(rows[0]) : [];
      const numCols = cols.filter((c) => rows.every((x) => typeof x[c] === 'number'));
      const chart = cols.length === 2 && numCols.length === 1 && rows.length <= 50
        ? bars(rows.map((x) => ({ label: cell(x[cols.find((c) => c !== numCols[0])]), value: x[numCols[0]], cls: 'sev-medium' })), { title: 'Query result' }) : null;
      mount(out, h('p', { class: 'muted' }, `${num(r.count)} of ${num(r.totalRecords)} rows${r.resultTruncated === 'true' ? ' (truncated)' : ''}`),
        chart, table(cols, rows.map((x) => cols.map((c) => cell(x[c]))), { empty: 'No rows.' }));
    } catch (e) {
      mount(out, h('pre', { class: 'error', role: 'alert' }, e.message));
    }
  };
  ed.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); } });
  mount(main, h('h1', null, 'Query'),
    h('section', { class: 'card' },
      h('div', { class: 'field' }, h('label', { for: 'kql-ex' }, 'Example'), ex),
      h('label', { for: 'kql' }, 'KQL query over securityresources and resources'), ed,
      h('p', { id: 'kql-help', class: 'muted' }, 'Ctrl+Enter runs the query. The language is described in docs/query.md.'),
      h('button', { type: 'button', id: 'run', onclick: run }, 'Run')),
    h('section', { class: 'card' }, out));
}

function cell(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
