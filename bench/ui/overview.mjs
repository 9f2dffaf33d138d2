// bench/ui/overview.mjs: loads the console's overview 5 times in headless
// Chromium and prints the time from navigation start to the overview fully
// drawn (app.js's 'dd-rendered' mark, set after every chart), run by
// bench/ui/overview.py. It also times the API calls (GET /api/v1/overview
// twice: computed, then cached) and, for comparison, the KQL queries the
// overview ran before /api/v1/overview existed.
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/package.json');
const { chromium } = require('playwright-core');

const browser = await chromium.launch({ executablePath: process.env.DD_CHROMIUM, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const times = [], full = [];
for (let i = 0; i < 5; i++) {
  await page.goto(process.env.DD_URL + '/?run=' + i + '#/');
  await page.waitForFunction(() => performance.getEntriesByName('dd-rendered').length > 0, null, { timeout: 60000 });
  times.push(Math.round(await page.evaluate(() => performance.getEntriesByName('dd-rendered')[0].startTime)));
  await page.waitForFunction(() => performance.getEntriesByName('dd-overview-complete').length > 0, null, { timeout: 600000 });
  full.push(Math.round(await page.evaluate(() => performance.getEntriesByName('dd-overview-complete')[0].startTime)));
}
const api = await page.evaluate(async () => {
  const out = {};
  for (const p of ['/api/v1/overview', '/api/v1/overview', '/api/v1/summary', '/api/v1/repositories', '/api/v1/db']) {
    const t = performance.now();
    await (await fetch(p)).text();
    out[p in out ? p + ' (again)' : p] = Math.round(performance.now() - t);
  }
  const SUB = 'securityresources | where type == "microsoft.security/assessments/subassessments"';
  const qs = {
    top: `${SUB} | summarize images = dcount(tostring(properties.additionalData.imageDigest)) by id = tostring(properties.id), severity = tostring(properties.status.severity) | top 10 by images desc`,
    kev: `${SUB} | where tobool(properties.additionalData.knownExploited) == true | count`,
    reasons: 'resources | where type == "drydock/images" and status == "NotAssessed" | summarize images = count() by reason = tostring(properties.statusReason)',
  };
  for (const [k, q] of Object.entries(qs)) {
    const t = performance.now();
    await (await fetch('/api/v1/query', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: q }) })).text();
    out['query ' + k] = Math.round(performance.now() - t);
  }
  return out;
});
const med = (a) => a.slice().sort((x, y) => x - y)[2];
console.log(`overview drawn, from navigation start (ms, 5 loads): ${times.join(' ')}; median ${med(times)}`);
console.log(`overview-complete mark (ms): ${full.join(' ')}; median ${med(full)}`);
console.log('API calls (ms):', JSON.stringify(api));
await browser.close();
