// console.test.mjs: the web console in a real browser (Debian's chromium
// driven by playwright-core), run by tests/integration/test_web_console.py
// against a server it loaded with images and the sample feeds.
// Env: DD_URL, DD_USER, DD_PASSWORD, DD_CHROMIUM; DD_UI_SHOTS=<dir> writes
// a screenshot of each page there (docs/ui/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const URL_ = process.env.DD_URL;
const USER = process.env.DD_USER;
const PW = process.env.DD_PASSWORD;
const SHOTS = process.env.DD_UI_SHOTS;
const AUTH = 'Basic ' + Buffer.from(`${USER}:${PW}`).toString('base64');

let browser, page;
const problems = [];
let acceptDialog = false;

async function apiGet(path) {
  const r = await fetch(URL_ + path, { headers: { Authorization: AUTH } });
  assert.equal(r.status, 200, path);
  return r.json();
}

async function shot(name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function settle() {
  await page.waitForFunction(() => !document.querySelector('main p.muted')?.textContent.startsWith('Loading'));
  await page.waitForLoadState('networkidle');
}

before(async () => {
  browser = await chromium.launch({ executablePath: process.env.DD_CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  // failed API calls show up as console errors: the deliberate ones (a bad query: 400, the
  // last owner kept: 409) are expected, a 5xx or a CSP violation is not
  page.on('console', (m) => { if (m.type() === 'error' && !/status of (400|401|403|409)/.test(m.text())) problems.push('console: ' + m.text()); });
  page.on('response', (r) => { if (r.status() >= 500) problems.push(`${r.status()} ${r.url()}`); });
  page.on('dialog', (d) => {
    if (acceptDialog) { acceptDialog = false; d.accept(); } else { problems.push('dialog: ' + d.message()); d.dismiss(); }
  });
});

after(async () => { await browser?.close(); });

test('sign in and see the overview with the API numbers', async () => {
  await page.goto(URL_ + '/');
  await page.getByLabel('User').fill(USER);
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Wrong user name or password.').waitFor();
  await shot('signin');
  await page.getByLabel('Password').fill(PW);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  await settle();
  await page.waitForFunction(() => performance.getEntriesByName('dd-overview-complete').length > 0);
  const ov = await apiGet('/api/v1/overview');
  assert.equal(await page.locator('#kev-count').textContent(), String(ov.knownExploited));
  const sum = await apiGet('/api/v1/summary');
  assert.equal(ov.images, sum.images);
  // the most widespread vulnerabilities: the API's, in its order
  const topCard = page.locator('section.card', { has: page.getByRole('heading', { name: 'Most widespread vulnerabilities' }) });
  assert.deepEqual(await topCard.locator('a').allTextContents(), ov.topVulnerabilities.map((v) => v.id));
  assert.deepEqual(await topCard.locator('text.val').allTextContents(), ov.topVulnerabilities.map((v) => String(v.images)));
  const tile = async (label) => (await page.locator('.tile', { hasText: label }).first().locator('.tile-v').textContent()).replace(/,/g, '');
  assert.equal(await tile('Images'), String(sum.images));
  assert.equal(await tile('Unhealthy'), String(sum.unhealthy));
  assert.equal(await tile('Findings'), String(sum.counts.total));
  assert.ok(await page.locator('svg.chart').count() >= 3, 'charts drawn');
  const cookies = await page.context().cookies();
  const c = cookies.find((x) => x.name === 'dd_session');
  assert.ok(c && c.httpOnly && c.sameSite === 'Strict');
  assert.equal(await page.evaluate(() => document.cookie.includes('dd_session')), false);
  await shot('overview');
});

test('walk from the overview to an image and a finding, filter, page', async () => {
  await page.getByRole('link', { name: 'Repositories' }).first().click();
  await page.getByRole('heading', { name: 'Repositories' }).waitFor();
  await settle();
  await shot('repositories');
  await page.getByRole('link', { name: 'team/app' }).click();
  await page.getByRole('heading', { name: 'team/app' }).waitFor();
  await settle();
  await page.locator('td a code').first().click();
  await page.locator('#findings-total').waitFor();
  await settle();
  const img = await apiGet('/api/v1/repositories/team/app/images/v1');
  const all = await apiGet('/api/v1/repositories/team/app/images/v1/findings?limit=1');
  assert.match(await page.locator('#findings-total').textContent(), new RegExp(`of ${all.total}$`));
  assert.match(await page.locator('#scan-state').textContent(), /^done/);
  assert.equal(await page.locator('dd code.wrap').first().textContent(), img.digest);
  // the <script> payloads of the image's history are shown as text, never run
  await page.getByText('/bin/sh -c #(nop) ADD rootfs <script>').waitFor();
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('main script, main img').count(), 0);
  const pk = await apiGet('/api/v1/repositories/team/app/images/' + encodeURIComponent(img.digest) + '/packages?limit=1');
  await page.waitForFunction((t) => document.querySelector('#packages-total')?.textContent.endsWith(`of ${t}`), pk.total);
  const dl = page.getByRole('link', { name: 'Download SBOM (CycloneDX)' });
  const sbom = await (await fetch(new URL(await dl.getAttribute('href'), URL_), { headers: { Authorization: AUTH } })).json();
  assert.equal(sbom.bomFormat, 'CycloneDX');
  await shot('image');
  await page.getByLabel('Package', { exact: true }).fill('zlib1g');
  const z = await apiGet('/api/v1/repositories/team/app/images/v1/findings?package=zlib1g&limit=1');
  await page.waitForFunction((t) => document.querySelector('#findings-total')?.textContent.endsWith(`of ${t}`), z.total);
  const rows = page.locator('table.findings tbody tr');
  assert.equal(await rows.count(), z.total);
  for (const p of await page.locator('table.findings tbody tr td:nth-child(3)').allTextContents()) assert.equal(p, 'zlib1g');
  await page.getByLabel('Package', { exact: true }).fill('');
  await page.getByLabel('Severity').selectOption('critical');
  const cr = await apiGet('/api/v1/repositories/team/app/images/v1/findings?severity=critical&limit=1');
  await page.waitForFunction((t) => {
    const s = document.querySelector('#findings-total')?.textContent || '';
    return t ? s.endsWith(`of ${t}`) : s === 'No findings match.';
  }, cr.total);
  await page.getByLabel('Severity').selectOption('');
  await page.waitForFunction((t) => document.querySelector('#findings-total')?.textContent.endsWith(`of ${t}`), all.total);
  const first = page.locator('table.findings tbody tr td:nth-child(2) a').first();
  const id = await first.textContent();
  await first.click();
  await page.getByRole('heading', { name: id, level: 1 }).waitFor();
  await settle();
  const v = await apiGet('/api/v1/vulnerabilities/' + encodeURIComponent(id));
  assert.match(await page.locator('h2', { hasText: 'Affected images' }).textContent(), new RegExp(`\\(${(v.images || []).length}\\)`));
  await shot('vulnerability');
});

test('recommendations list one entry per vulnerability of unhealthy images', async () => {
  await page.getByRole('link', { name: 'Recommendations' }).click();
  await page.getByRole('heading', { name: 'Recommendations' }).waitFor();
  await settle();
  const n = await page.locator('main table tbody tr').count();
  assert.ok(n > 0);
  await shot('recommendations');
});

test('run a query and get a table and a chart', async () => {
  await page.getByRole('link', { name: 'Query' }).click();
  await page.getByRole('heading', { name: 'Query' }).waitFor();
  await page.getByLabel('Example').selectOption({ label: 'Images per repository' });
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('#query-result table').waitFor();
  assert.ok(await page.locator('#query-result tbody tr').count() >= 2);
  assert.equal(await page.locator('#query-result svg.chart').count(), 1);
  await page.locator('#kql').fill('resources | where nosuchcolumn == 1');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('#query-result .error').waitFor();
  await page.getByLabel('Example').selectOption({ label: 'Findings by severity' });
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('#query-result svg.chart').waitFor();
  await shot('query');
});

test('create a robot token, see its secret once, revoke it', async () => {
  await page.getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('heading', { name: 'Administration' }).waitFor();
  await settle();
  await page.getByLabel('Name').fill('ci <b>bot</b>');
  await page.getByLabel('Role', { exact: true }).selectOption('reader');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = await page.locator('#secret-value').textContent();
  assert.match(secret, /^ddt_/);
  const bearer = { headers: { Authorization: 'Bearer ' + secret } };
  assert.equal((await fetch(URL_ + '/v2/', bearer)).status, 200);
  const row = page.locator('#tokens tr', { hasText: 'ci <b>bot</b>' });
  await row.waitFor();
  assert.equal(await row.locator('td').nth(6).textContent(), 'active');
  await shot('admin');
  acceptDialog = true;
  await row.getByRole('button', { name: /^Revoke/ }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('#tokens tr')].some((r) => r.textContent.includes('ci <b>bot</b>') && r.textContent.includes('revoked')));
  assert.equal((await fetch(URL_ + '/v2/', bearer)).status, 401);
  const list = await apiGet('/api/v1/admin/tokens');
  assert.equal(list.tokens.find((t) => t.name === 'ci <b>bot</b>').state, 'revoked');
  assert.ok(!JSON.stringify(list).includes(secret));
});

test('edit a user\'s role and repositories (admin)', async () => {
  const who = async () => (await apiGet('/api/v1/admin/users')).users.find((u) => u.name === 'secreader');
  const before = await who();
  await page.getByLabel('Repositories of secreader').fill('team/*,base/*');
  await page.getByLabel('Role of secreader').selectOption('reader');
  await page.getByRole('button', { name: 'Save secreader' }).click();
  await page.locator('#user-msg', { hasText: 'secreader: role reader, repositories team/*,base/*.' }).waitFor();
  let u = await who();
  assert.equal(u.role, 'reader');
  assert.equal(u.repos, 'team/*,base/*');
  // back as it was (later tests sign in as the owner only, but keep the fixture intact)
  await page.getByLabel('Repositories of secreader').fill(before.repos);
  await page.getByLabel('Role of secreader').selectOption(before.role);
  await page.getByRole('button', { name: 'Save secreader' }).click();
  await page.locator('#user-msg', { hasText: `role ${before.role}` }).waitFor();
  u = await who();
  assert.equal(u.role, before.role);
  assert.equal(u.repos, before.repos);
  // the last owner cannot give the role away: the error shows on the page
  await page.getByLabel('Role of owner').selectOption('reader');
  await page.getByRole('button', { name: 'Save owner' }).click();
  await page.locator('#user-msg.error', { hasText: 'last owner' }).waitFor();
  assert.equal((await who()).role, before.role);
});

test('change the scan scope (admin)', async () => {
  const before = await apiGet('/api/v1/admin/scan-scope');
  await page.getByLabel('Never scan').fill('scratch/*');
  await page.getByRole('button', { name: 'Save scope' }).click();
  await page.locator('#scope-msg', { hasText: 'except scratch/*' }).waitFor();
  assert.equal((await apiGet('/api/v1/admin/scan-scope')).exclude, 'scratch/*');
  await page.getByLabel('Never scan').fill('[');
  await page.getByRole('button', { name: 'Save scope' }).click();
  await page.locator('#scope-msg.error').waitFor();
  await page.getByLabel('Never scan').fill(before.exclude);
  await page.getByRole('button', { name: 'Save scope' }).click();
  await page.locator('#scope-msg:not(.error)').waitFor();
  assert.equal((await apiGet('/api/v1/admin/scan-scope')).exclude, before.exclude);
});

test('update the vulnerability database now (admin)', async () => {
  await page.getByRole('button', { name: 'Update now' }).click();
  // offline here: every feed fails fast, the previous data stays; the page
  // follows the run without a reload until it ends
  await page.locator('#db-update-state', { hasText: /^Last update (succeeded|failed)/ }).waitFor({ timeout: 60000 });
  const u = await apiGet('/api/v1/admin/db/update');
  assert.ok(['succeeded', 'failed'].includes(u.state), u.state);
  assert.match(await page.locator('#db-update-state').textContent(), new RegExp(`^Last update ${u.state} \\(exit code ${u.exitCode}\\)`));
  assert.equal(await page.getByRole('button', { name: 'Update now' }).isDisabled(), false);
});

test('dark theme, phone width, sign out', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(URL_ + '/#/');
  await settle();
  await shot('overview-dark');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(URL_ + '/#/');
  await settle();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page wider than the phone by ${overflow}px`);
  await shot('overview-phone');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Drydock' }).waitFor();
  assert.deepEqual(problems, []);
});
