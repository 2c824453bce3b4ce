// Background jobs in a real browser against the real service and emulator: a bulk restart started
// on the Bots page shows its progress there and ends succeeded on the Jobs page; on the Jobs page a
// job held running (the emulator refuses gateway connections, so no bot becomes ready) is
// cancelled, its progress moves live once the gateway is back, and Retry runs the cancelled items
// to success. A screenshot of the Jobs page for the docs.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startDemo, adminApi, emulatorPost, parseBigJson, launchBrowser, newPage, signIn, screenshot, eventually,
} from './harness.js';

const T = { timeout: 300_000 };
let demo;
let chrome;
let admin;

const botRow = (page, name) => page.locator('tbody tr', { has: page.getByRole('link', { name, exact: true }) });
const jobRow = (page, id) => page.locator(`tr[data-job-id="${id}"]`);

async function job(id) {
  return adminApi(demo, 'GET', `/jobs/${id}?limit=1000`);
}

async function everyBotRunning() {
  return (await adminApi(demo, 'GET', '/bots?limit=200')).items.every((b) => b.status === 'running');
}

/** Starts the gateway refusing every connection (WebSocket upgrades get 503) until cleared. */
async function gatewayDown() {
  await emulatorPost(demo, '/faults', JSON.stringify({ type: 'gateway_down', for_ms: 600_000 }));
}

async function clearFaults() {
  const response = await fetch(`${demo.emulator}/_emulator/faults`, { method: 'DELETE' });
  assert.equal(response.status, 200, await response.text());
}

describe('jobs', () => {
  before(async () => {
    demo = await startDemo({ rate: 0 });
    chrome = await launchBrowser();
    admin = await newPage(chrome.browser, demo);
    await signIn(admin, 'admin', demo.password);
    await eventually(everyBotRunning, { timeout: 60_000, what: 'the demo bots running' });
  });

  after(async () => {
    await chrome?.close();
    await demo?.stop();
  });

  it('shows a bulk restart started on the Bots page, then on the Jobs page', T, async () => {
    await admin.goto('/#/bots');
    for (const name of ['Shop Helper', 'Stock Keeper', 'Order Desk']) {
      await botRow(admin, name).getByText('Running', { exact: true }).waitFor({ timeout: 30_000 });
    }
    await admin.evaluate(() => { window.notReloaded = true; });
    await admin.getByRole('checkbox', { name: 'Select every bot' }).check();
    await admin.getByRole('button', { name: 'Restart selected' }).click();
    await admin.locator('.toast', { hasText: 'restart requested for 3 bots' }).waitFor();
    // Its progress, where it was started: a bar of 3 items with its words, and a link to the job.
    const box = admin.locator('.job-follow');
    await box.waitFor();
    const bar = box.getByRole('progressbar');
    assert.equal(await bar.getAttribute('aria-valuemax'), '3');
    assert.match(await box.textContent(), /Bulk restart of 3 bots/);
    await box.getByText('3 of 3 done', { exact: true }).waitFor({ timeout: 90_000 });
    await box.getByText('Succeeded', { exact: true }).waitFor({ timeout: 30_000 });
    assert.equal(await bar.getAttribute('aria-valuenow'), '3');
    await admin.locator('.toast', { hasText: 'restart done for 3 bots' }).waitFor();
    for (const name of ['Shop Helper', 'Stock Keeper', 'Order Desk']) {
      await botRow(admin, name).getByText('Running', { exact: true }).waitFor({ timeout: 30_000 });
    }
    assert.ok(await everyBotRunning(), 'every selected bot is running');
    assert.equal(await admin.evaluate(() => window.notReloaded), true, 'the page was not reloaded');

    // The link opens the job; the Jobs page lists it as succeeded.
    const link = box.getByRole('link', { name: /on the Jobs page/ });
    const id = Number((await link.getAttribute('href')).split('/').pop());
    await link.click();
    await admin.getByRole('heading', { name: `Job ${id}: Bulk restart` }).waitFor();
    await admin.locator('.page-head').getByText('Succeeded', { exact: true }).waitFor();
    assert.equal(await admin.locator('.job-items tbody tr').count(), 3);
    assert.equal(await admin.locator('.job-items tbody tr', { hasText: 'Done' }).count(), 3);
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    await admin.getByRole('heading', { name: 'Jobs' }).waitFor();
    const row = jobRow(admin, id);
    await row.getByText('Succeeded', { exact: true }).waitFor();
    assert.match(await row.textContent(), /Bulk restart/);
    assert.match(await row.textContent(), /3 of 3 done/);
    assert.match(await row.textContent(), /admin/);
    assert.equal(await row.getByRole('progressbar').getAttribute('aria-valuenow'), '3');
    assert.deepEqual(admin.problems, []);
  });

  it('cancels a job held running, shows its progress move, and retries it to success', T, async () => {
    // Five more bots, so that a job has more items than run at once (four on SQLite): the ones
    // not begun when it is cancelled are cancelled.
    const extra = [];
    for (let i = 1; i <= 5; i += 1) {
      const app = parseBigJson(await emulatorPost(demo, '/applications', JSON.stringify({ name: `Extra ${i}` })));
      extra.push((await adminApi(demo, 'POST', '/bots', { name: `Extra ${i}`, token: app.token })).id);
    }
    const started = await adminApi(demo, 'POST', '/bots/bulk', { action: 'start', bot_ids: extra });
    await eventually(async () => (await job(started.id)).state === 'succeeded', { timeout: 90_000, what: 'the extra bots started' });
    const all = (await adminApi(demo, 'GET', '/bots?limit=200')).items.map((b) => b.id);
    assert.equal(all.length, 8);
    await admin.goto('/#/');
    await admin.goto('/#/jobs');
    await jobRow(admin, started.id).getByText('Succeeded', { exact: true }).waitFor();
    await admin.evaluate(() => { window.notReloaded = true; });

    // With the gateway refusing connections, a restarted bot never becomes ready: the job runs on.
    await gatewayDown();
    let cleared = false;
    try {
      // Started elsewhere (the API): it appears on the open page by itself. The page's fetch of the
      // new job is answered as from before its claim, once the claim's message has come: the
      // row still ends up running (no other message follows while the job is held).
      let raced = false;
      const isJob = (url) => /\/api\/v1\/jobs\/\d+$/.test(url.pathname) && Number(url.pathname.split('/').pop()) > started.id;
      await admin.route(isJob, async (route) => {
        if (raced) return route.continue();
        raced = true;
        const id = Number(new URL(route.request().url()).pathname.split('/').pop());
        const response = await route.fetch();
        const body = await response.json();
        const claimed = () => admin.liveFrames.some((f) => {
          const m = JSON.parse(f);
          return m.type === 'job' && m.id === id && m.state === 'running';
        });
        await eventually(claimed, { what: "the job's running message" });
        await route.fulfill({ response, json: { ...body, state: 'queued', started_at: null } });
      });
      const held = await adminApi(demo, 'POST', '/bots/bulk', { action: 'restart', bot_ids: all });
      const row = jobRow(admin, held.id);
      await row.getByText('Running', { exact: true }).waitFor({ timeout: 30_000 });
      assert.ok(raced, 'the fetch was answered late');
      await admin.unroute(isJob);
      // In progress first: above the job that already succeeded.
      assert.equal(await admin.locator('tbody.jobs-active tr').first().getAttribute('data-job-id'), String(held.id));
      assert.match(await row.textContent(), /0 of 8 done/);

      await row.getByRole('button', { name: `Cancel job ${held.id}` }).click();
      await admin.getByRole('dialog').getByRole('button', { name: 'Cancel job', exact: true }).click();
      await admin.locator('.toast', { hasText: `Job ${held.id}: cancel requested` }).waitFor();
      await row.getByText('Cancelling…', { exact: true }).waitFor();
      assert.equal(await row.getByRole('button', { name: `Cancel job ${held.id}` }).count(), 0, 'no second cancel');
      assert.equal((await job(held.id)).cancel_requested, true);

      // The gateway back: the items running now finish, and the bar moves without a reload.
      const bar = row.getByRole('progressbar');
      await admin.evaluate(() => {
        window.seenValues = [];
        const el = document.querySelector('tbody.jobs-active tr [role=progressbar]');
        const note = () => window.seenValues.push(Number(el.getAttribute('aria-valuenow')));
        note();
        new MutationObserver(note).observe(el, { attributes: true, attributeFilter: ['aria-valuenow'] });
      });
      await clearFaults();
      cleared = true;
      await row.getByText('Cancelled', { exact: true }).waitFor({ timeout: 120_000 });
      const cancelled = await job(held.id);
      assert.equal(cancelled.state, 'cancelled');
      const ran = cancelled.done + cancelled.failed;
      assert.ok(ran >= 1 && ran < 8, `some items ran, the others did not: ${JSON.stringify(cancelled)}`);
      const notRun = cancelled.items.items.filter((i) => i.state === 'cancelled');
      assert.equal(notRun.length, 8 - ran, 'every item not run is cancelled');
      const seen = await admin.evaluate(() => window.seenValues);
      assert.equal(seen[0], 0);
      assert.equal(Math.max(...seen), ran, `the bar moved to ${ran}: ${seen}`);
      assert.equal(await bar.getAttribute('aria-valuenow'), String(ran));
      assert.match(await row.textContent(), new RegExp(`${8 - ran} cancelled`));
      assert.equal(await admin.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
      await admin.locator('tr.row-new').waitFor({ state: 'detached' });
      await screenshot(admin, 'jobs');

      // The job's own page: its items in words.
      await row.getByRole('link', { name: 'Bulk restart' }).click();
      await admin.getByRole('heading', { name: `Job ${held.id}: Bulk restart` }).waitFor();
      const items = admin.locator('.job-items tbody tr');
      await eventually(async () => (await items.count()) === 8, { what: 'eight items' });
      assert.equal(await admin.locator('.job-items tbody tr', { hasText: 'Cancelled' }).count(), 8 - ran);
      // Each item names its bot, the ones added a moment ago too.
      const named = (await items.allTextContents()).join(' ');
      for (const name of ['Shop Helper', 'Stock Keeper', 'Order Desk', 'Extra 1', 'Extra 5']) assert.ok(named.includes(name), `${name} in ${named}`);

      // Retry: the cancelled items run, and it ends succeeded, live.
      await admin.evaluate(() => { window.notReloaded = true; });
      await admin.getByRole('button', { name: `Retry job ${held.id}` }).click();
      await admin.locator('.toast', { hasText: `Job ${held.id}: queued again` }).waitFor();
      const head = admin.locator('.page-head');
      await head.getByText('Succeeded', { exact: true }).waitFor({ timeout: 120_000 });
      await admin.getByText('8 of 8 done', { exact: true }).waitFor({ timeout: 30_000 });
      await eventually(async () => (await admin.locator('.job-items tbody tr', { hasText: 'Done' }).count()) === 8, { what: 'eight items done' });
      assert.equal(await admin.getByRole('button', { name: `Retry job ${held.id}` }).count(), 0, 'nothing left to retry');
      assert.equal(await admin.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
      const finished = await job(held.id);
      assert.equal(finished.state, 'succeeded');
      assert.equal(finished.attempts, 2);
      await eventually(everyBotRunning, { timeout: 60_000, what: 'every bot running' });
      assert.deepEqual(admin.problems, []);
    } finally {
      if (!cleared) await clearFaults();
    }
  });

  it("shows a viewer the jobs without Cancel or Retry, and the server's message when an action fails", T, async () => {
    await adminApi(demo, 'POST', '/users', { username: 'vera', password: 'vera-password-123', role: 'viewer' });
    const viewer = await newPage(chrome.browser, demo);
    await signIn(viewer, 'vera', 'vera-password-123');
    const nav = viewer.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Jobs' }).click();
    await viewer.getByRole('heading', { name: 'Jobs' }).waitFor();
    await viewer.locator('tbody tr').first().waitFor();
    assert.equal(await viewer.getByRole('button', { name: /^(Cancel|Retry) job/ }).count(), 0);
    assert.deepEqual(viewer.problems, []);
    await viewer.context().close();

    // Retry refused by the server (every item of this job succeeded; the page was shown it as
    // partial): its message, in words.
    const done = (await adminApi(demo, 'GET', '/jobs?state=succeeded')).items[0];
    const refused = await fetch(`${demo.api}/jobs/${done.id}/retry`, {
      method: 'POST', headers: { authorization: `Bearer ${demo.key}`, 'content-type': 'application/json' }, body: '{}',
    }).then((r) => r.json());
    await admin.route(`**/api/v1/jobs/${done.id}?*`, async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      await route.fulfill({ response, json: { ...body, state: 'partial' } });
    });
    await admin.goto('/#/jobs');
    await admin.getByRole('heading', { name: 'Jobs' }).waitFor();
    await admin.goto(`/#/jobs/${done.id}`);
    await admin.getByRole('heading', { name: new RegExp(`^Job ${done.id}: Bulk`) }).waitFor();
    await admin.getByRole('button', { name: `Retry job ${done.id}` }).click();
    await admin.locator('.toast-error', { hasText: refused.error.message }).waitFor();
    await admin.unroute(`**/api/v1/jobs/${done.id}?*`);
    assert.deepEqual(admin.problems, []);
  });

  it('draws kinds it has not met before from their fields: a retention sweep, an export to download', T, async () => {
    // The answers of kinds this server does not run yet, shaped as the API documents them.
    const base = { params: {}, total: 2, done: 2, failed: 0, attempts: 1, created_by: 'user admin', created_at: new Date().toISOString(), started_at: new Date().toISOString(), finished_at: new Date().toISOString(), cancel_requested: false };
    const retention = { ...base, id: 9001, kind: 'retention', params: { trigger: 'schedule' }, state: 'partial', done: 1, failed: 1 };
    const exported = { ...base, id: 9002, kind: 'export', params: { what: 'command_logs', format: 'csv' }, state: 'succeeded', total: 1, done: 1 };
    const items = {
      9001: [
        { seq: 1, target: 'command_logs', state: 'ok', error: null, attempts: 1, finished_at: base.finished_at, detail: { deleted: 1234, cutoff: '2026-11-02T00:00:00Z' } },
        { seq: 2, target: 'bot_logs', state: 'failed', error: 'the database is not answering', attempts: 1, finished_at: base.finished_at, detail: null },
      ],
      9002: [{ seq: 1, target: 'command_logs', state: 'ok', error: null, attempts: 1, finished_at: base.finished_at, detail: { rows: 52 } }],
    };
    await admin.route(/\/api\/v1\/jobs\/900[12]\?/, (route) => {
      const id = Number(new URL(route.request().url()).pathname.split('/').pop());
      const job = id === 9001 ? retention : exported;
      return route.fulfill({ json: { ...job, items: { items: items[id], next_cursor: null } } });
    });
    try {
      await admin.goto('/#/jobs/9001');
      await admin.getByRole('heading', { name: 'Job 9001: Retention' }).waitFor();
      const rows = admin.locator('.job-items tbody tr');
      await rows.first().waitFor();
      assert.match(await rows.nth(0).textContent(), /command_logs.*Done.*deleted\s*1,234.*cutoff\s*2026-11-02/s);
      assert.match(await rows.nth(1).textContent(), /bot_logs.*Failed.*the database is not answering/s);
      await admin.locator('.page-head').getByText('Partial', { exact: true }).waitFor();
      await admin.getByRole('button', { name: 'Retry job 9001' }).waitFor();
      assert.equal(await admin.getByRole('progressbar').getAttribute('aria-valuenow'), '2');

      await admin.goto('/#/jobs/9002');
      await admin.getByRole('heading', { name: 'Job 9002: Export' }).waitFor();
      const download = admin.getByRole('link', { name: 'Download' });
      assert.equal(await download.getAttribute('href'), '/api/v1/jobs/9002/file');
      assert.match(await admin.locator('.facts').textContent(), /what\s*command_logs/);
    } finally {
      await admin.unroute(/\/api\/v1\/jobs\/900[12]\?/);
    }
    assert.deepEqual(admin.problems, []);
  });

  it('exports the bot log a filter selects from the Bot log page, and downloads the file', T, async () => {
    const bots = (await adminApi(demo, 'GET', '/bots?limit=200')).items;
    const shop = bots.find((b) => b.name === 'Shop Helper');
    await admin.goto(`/#/bot-logs?bot_id=${shop.id}`);
    await admin.locator('tbody tr').first().waitFor({ timeout: 30_000 });
    await admin.getByRole('combobox', { name: 'Export format' }).selectOption('jsonl');
    await admin.getByRole('button', { name: 'Export' }).click();
    // Its progress where it was started, then the file.
    const status = admin.locator('.export-status');
    await status.getByRole('progressbar').waitFor();
    const download = status.getByRole('link', { name: 'Download' });
    await download.waitFor({ timeout: 60_000 });
    const id = Number((await status.getByRole('link', { name: /Job #/ }).getAttribute('href')).split('/').pop());
    const done = await job(id);
    assert.equal(done.state, 'succeeded');
    assert.deepEqual(done.params.filter, { bot_id: Number(shop.id) });
    const text = await admin.evaluate(async (href) => (await fetch(href)).text(), await download.getAttribute('href'));
    const lines = text.trim().split('\n').map((l) => parseBigJson(l));
    assert.equal(lines.length, done.items.items[0].detail.rows);
    assert.ok(lines.length > 0, 'the bot has log lines');
    assert.ok(lines.every((l) => String(l.bot_id) === String(shop.id)), 'only the filtered bot');
    assert.deepEqual(admin.problems, []);
  });
});
