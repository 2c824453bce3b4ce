// The public status page in a real browser against the real service: an admin publishes it from
// the dashboard's "Status page" screen (a title, two of the three demo bots, one under a public
// label, one stopped on purpose), then a visitor with JavaScript turned off and no sign-in reads
// /status: the fleet's state, each shown bot's state in words, its uptime bars for 24 hours, 7
// days and 90 days, and nothing of the bot left out. Unpublished, the page is gone.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, adminApi, launchBrowser, newPage, signIn, eventually } from './harness.js';

const T = { timeout: 180_000 };
let demo;
let chrome;
let page;
let bots; // the demo's bots by name, as the API shows them

describe('status page', () => {
  before(async () => {
    demo = await startDemo({ rate: 0 });
    chrome = await launchBrowser();
    page = await newPage(chrome.browser, demo);
    await signIn(page, 'admin', demo.password);
    // Order Desk is stopped on purpose; the other two run.
    const list = await adminApi(demo, 'GET', '/bots');
    bots = Object.fromEntries(list.items.map((b) => [b.name, b]));
    await adminApi(demo, 'POST', `/bots/${bots['Order Desk'].id}/stop`);
    await eventually(async () => {
      const now = (await adminApi(demo, 'GET', '/bots')).items;
      const status = (name) => now.find((b) => b.name === name).status;
      return status('Shop Helper') === 'running' && status('Stock Keeper') === 'running' && status('Order Desk') === 'stopped';
    }, { timeout: 60_000, what: 'two bots running and one stopped' });
  });

  after(async () => {
    await chrome?.close();
    await demo?.stop();
  });

  it('is published from the dashboard and read with JavaScript off, without signing in', T, async () => {
    assert.equal((await fetch(`${demo.origin}/status`)).status, 404, 'off by default');

    await page.goto('/#/status-page');
    await page.getByRole('heading', { name: 'Status page' }).waitFor();
    await page.getByText('Not published: /status answers 404.').waitFor();
    await page.getByLabel('Publish the status page (anyone can open it)').check();
    await page.getByLabel('Title').fill('Demo Shop status');
    await page.getByLabel('Show Stock Keeper').check();
    await page.getByLabel('Public label for Stock Keeper').fill('Stock updates');
    await page.getByLabel('Show Order Desk').check();
    // The table lists Order Desk first (by name); Stock Keeper goes first on the page.
    await page.getByRole('button', { name: 'Move Stock Keeper up' }).click();
    await page.getByRole('button', { name: 'Move Stock Keeper up' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.toast', { hasText: 'Status page saved and published.' }).waitFor();
    const open = page.getByRole('link', { name: 'Open the status page' });
    await open.waitFor();
    assert.equal(await open.getAttribute('href'), '/status');
    const saved = await adminApi(demo, 'GET', '/status-page');
    assert.deepEqual(saved.bots.map((b) => [b.name, b.label]), [['Stock Keeper', 'Stock updates'], ['Order Desk', null]]);
    // The screen shows what was saved after a reload, the picked bots first.
    await page.reload();
    await page.getByLabel('Public label for Stock Keeper').waitFor();
    assert.equal(await page.getByLabel('Public label for Stock Keeper').inputValue(), 'Stock updates');
    assert.equal(await page.getByLabel('Show Shop Helper').isChecked(), false);
    assert.deepEqual(page.problems, []);

    // A visitor: no session, no JavaScript.
    const visitor = await chrome.browser.newContext({ javaScriptEnabled: false, baseURL: demo.origin });
    const problems = [];
    const v = await visitor.newPage();
    v.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
    const res = await v.goto('/status');
    assert.equal(res.status(), 200);
    assert.equal(res.headers()['cache-control'], 'public, max-age=30');
    assert.ok(res.headers().etag, 'an ETag');
    assert.equal(await v.title(), 'Demo Shop status');
    assert.equal(await v.getByRole('heading', { level: 1 }).textContent(), 'Demo Shop status');
    assert.equal(await v.locator('p.fleet').textContent(), 'All systems operational', 'the stopped bot is paused, not down');
    const sections = v.locator('section.bot');
    assert.equal(await sections.count(), 2);
    const first = sections.nth(0);
    assert.equal(await first.getByRole('heading', { level: 3 }).textContent(), 'Stock updates');
    assert.match(await first.locator('.state').textContent(), /Operational/);
    assert.equal(await sections.nth(1).getByRole('heading', { level: 3 }).textContent(), 'Order Desk');
    assert.match(await sections.nth(1).locator('.state').textContent(), /Paused/);
    // The bars: 24 hourly, 28 of 6 hours, 90 daily, each with its share in words.
    for (const [name, count] of [['Uptime by hour, last 24 hours', 24], ['Uptime by 6 hours, last 7 days', 28], ['Uptime by day, last 90 days', 90]]) {
      const bars = first.getByRole('list', { name });
      assert.equal(await bars.locator('li').count(), count, name);
    }
    const last = (await first.getByRole('list', { name: 'Uptime by day, last 90 days' }).locator('li').last().textContent()).trim();
    assert.match(last, /^\d{4}-\d{2}-\d{2}: (\d+(\.\d+)?%|no data)$/, last);
    const oldest = await first.getByRole('list', { name: 'Uptime by day, last 90 days' }).locator('li').first().textContent();
    assert.match(oldest, /no data/, 'nothing recorded 89 days ago');
    const text = await v.locator('body').textContent();
    assert.ok(!text.includes('Shop Helper'), 'the bot left out is not shown');
    assert.ok(!text.includes('Stock Keeper'), 'the label replaces the name');
    assert.ok(text.includes('No current incidents.'));
    assert.equal(await v.locator('script').count(), 0);
    assert.deepEqual(problems, [], 'the inline style is allowed by its hash');

    // Its JSON says the same.
    const facts = await (await fetch(`${demo.origin}/status.json`)).json();
    assert.deepEqual(facts.bots.map((b) => [b.label, b.state]), [['Stock updates', 'up'], ['Order Desk', 'paused']]);

    // Unpublished from the dashboard: gone.
    // (The form is drawn again after each save: act on the one shown now, until the API says so.)
    await eventually(async () => {
      const box = page.getByLabel('Publish the status page (anyone can open it)');
      if (await box.isChecked()) {
        await box.uncheck();
        await page.getByRole('button', { name: 'Save' }).click();
      }
      const now = await adminApi(demo, 'GET', '/status-page');
      return now.enabled === false ? now : undefined;
    }, { what: 'the status page unpublished', every: 500 });
    await page.getByText('Not published: /status answers 404.').waitFor();
    // (A browser may keep its copy for up to the 30 s it was told; a fresh request finds it gone.)
    assert.equal((await fetch(`${demo.origin}/status`)).status, 404);
    await visitor.close();
  });
});
