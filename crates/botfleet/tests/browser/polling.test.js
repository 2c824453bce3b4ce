// With live updates off on the server (DISCORD_WEBSOCKET_ENABLED=false: the WebSocket answers 503
// and /auth/me says live: false), the dashboard says "Polling" and still follows bot status, new
// commands, firing alerts and background jobs by polling the REST API every few seconds.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, adminApi, world, userSays, emulatorPost, launchBrowser, newPage, signIn } from './harness.js';

const T = { timeout: 120_000 };
let demo;
let chrome;
let page;
let emu;

describe('dashboard without live updates', () => {
  before(async () => {
    demo = await startDemo({ rate: 0.5, env: { DISCORD_WEBSOCKET_ENABLED: 'false' } });
    const w = await world(demo);
    const user = (await emulatorPost(demo, '/users', '{"username": "poller"}')).match(/"id":\s*(\d+)/)[1];
    await emulatorPost(demo, `/guilds/${w.guild}/members`, `{"user_id": ${user}}`);
    emu = { channel: w.channels.general, user };
    chrome = await launchBrowser();
    page = await newPage(chrome.browser, demo);
  });

  after(async () => {
    await chrome?.close();
    await demo?.stop();
  });

  it('polls: status changes and new commands still arrive without a reload', T, async () => {
    await signIn(page, 'admin', demo.password);
    await page.locator('.live', { hasText: 'Polling' }).waitFor();
    await page.goto('/#/bots');
    const row = page.locator('tbody tr', { has: page.getByRole('link', { name: 'Stock Keeper', exact: true }) });
    await row.getByText('Running', { exact: true }).waitFor({ timeout: 30_000 });
    const id = (await adminApi(demo, 'GET', '/bots')).items.find((b) => b.name === 'Stock Keeper').id;
    await adminApi(demo, 'POST', `/bots/${id}/stop`);
    await row.getByText('Stopped', { exact: true }).waitFor({ timeout: 30_000 });
    await adminApi(demo, 'POST', `/bots/${id}/start`);
    await row.getByText('Running', { exact: true }).waitFor({ timeout: 30_000 });

    await page.goto('/#/');
    await page.getByRole('heading', { name: 'Live command feed' }).waitFor();
    const nonce = `poll${Date.now().toString(36)}`;
    const sentAt = Date.now();
    await userSays(demo, emu.channel, emu.user, `!ping ${nonce}`);
    await page.locator('tbody tr', { hasText: nonce }).waitFor({ timeout: 30_000 });
    console.log(`BENCH ${JSON.stringify({ polling_command_to_row_ms: Date.now() - sentAt })}`);
    assert.equal(await page.locator('.live').textContent(), 'Polling');
    assert.deepEqual(page.problems, []);
  });

  it('polls alerts: the banner appears and goes without a reload', T, async () => {
    await page.goto('/#/bots');
    await page.getByRole('heading', { name: 'Bots' }).waitFor();
    await page.evaluate(() => { window.notReloaded = true; });
    const rule = await adminApi(demo, 'POST', '/alerts/rules', { name: 'Polled memory', condition: { kind: 'memory_over', megabytes: 1 } });
    const item = page.locator('.alert-strip .alert-item', { hasText: 'Polled memory' });
    await item.waitFor({ timeout: 30_000 });
    await adminApi(demo, 'DELETE', `/alerts/rules/${rule.id}`);
    await item.waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(await page.evaluate(() => window.notReloaded), true);
    assert.equal(await page.locator('.live').textContent(), 'Polling');
    assert.deepEqual(page.problems, []);
  });

  it('polls jobs: one started elsewhere appears on the Jobs page and ends succeeded without a reload', T, async () => {
    await page.goto('/#/jobs');
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await page.evaluate(() => { window.notReloaded = true; });
    const ids = (await adminApi(demo, 'GET', '/bots')).items.map((b) => b.id);
    const job = await adminApi(demo, 'POST', '/bots/bulk', { action: 'restart', bot_ids: ids });
    const row = page.locator(`tr[data-job-id="${job.id}"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.getByText('Succeeded', { exact: true }).waitFor({ timeout: 90_000 });
    assert.equal(await row.getByRole('progressbar').getAttribute('aria-valuenow'), String(ids.length));
    assert.equal(await page.evaluate(() => window.notReloaded), true);
    assert.equal(await page.locator('.live').textContent(), 'Polling');
    assert.deepEqual(page.problems, []);
  });
});
