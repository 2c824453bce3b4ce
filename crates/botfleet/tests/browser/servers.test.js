// Channels by name and per-server settings in a real browser against the real service and
// emulator: a bot in two servers shows its channels as "#name (server)" in its pickers (on Add
// bot too, once its token is typed); a saved channel the bot can no longer see is shown as such,
// not dropped; settings of its own for one server (a prefix, a channel, a stock channel picked by
// name) are applied by the running bot at once, without a restart.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, adminApi, world, userSays, emulatorPost, launchBrowser, newPage, signIn, eventually } from './harness.js';

const T = { timeout: 180_000 };
const VIEW_CHANNEL = 1024;
let demo;
let chrome;
let page;
let bot; // Stock Keeper, as the API shows it
const ids = {};

/** Ids in a control-API answer, exact (snowflakes exceed JavaScript's safe integers). */
const idOf = (text) => text.match(/"id":\s*(\d+)/)[1];

describe('channels by name and per-server settings', () => {
  before(async () => {
    demo = await startDemo({ rate: 0 });
    const w = await world(demo);
    const raw = await (await fetch(`${demo.emulator}/_emulator/world`)).text();
    ids.botUser = raw.match(/"bot_user_id":\s*(\d+),\s*"name":\s*"Stock Keeper"/)[1];
    ids.token = raw.match(/"name":\s*"Stock Keeper",\s*"token":\s*"([^"]+)"/)[1];
    ids.owner = w.users['shop-owner'];
    ids.shopper = w.users.alice;
    // A second server the bot is in: Wholesale, with #orders and #chat.
    ids.wholesale = idOf(await emulatorPost(demo, '/guilds', `{"name": "Wholesale", "owner_id": ${ids.owner}}`));
    ids.orders = idOf(await emulatorPost(demo, `/guilds/${ids.wholesale}/channels`, '{"name": "bulk-orders"}'));
    ids.chat = idOf(await emulatorPost(demo, `/guilds/${ids.wholesale}/channels`, '{"name": "chat"}'));
    await emulatorPost(demo, `/guilds/${ids.wholesale}/members`, `{"user_id": ${ids.botUser}}`);
    await emulatorPost(demo, `/guilds/${ids.wholesale}/members`, `{"user_id": ${ids.shopper}}`);
    const bots = await adminApi(demo, 'GET', '/bots');
    bot = bots.items.find((b) => b.name === 'Stock Keeper');
    chrome = await launchBrowser();
    page = await newPage(chrome.browser, demo);
    await signIn(page, 'admin', demo.password);
  });

  after(async () => {
    await chrome?.close();
    await demo?.stop();
  });

  it('shows the channel pickers as "#name (server)" and a vanished channel as such', T, async () => {
    // The stock channel is #chat in Wholesale; then the bot loses sight of it.
    const saved = await adminApi(demo, 'PATCH', `/bots/${bot.id}`, { version: bot.version, low_stock_channel_id: ids.chat });
    bot.version = saved.version;
    await page.goto(`/#/bots/${bot.id}`);
    const low = page.getByLabel('Low-stock channel');
    await low.waitFor();
    assert.equal(await low.locator('option:checked').textContent(), '#chat (Wholesale)');
    const names = await page.getByLabel('Stock message channel').locator('option').allTextContents();
    assert.ok(names.includes('#stock (Demo Shop)') && names.includes('#bulk-orders (Wholesale)'), names.join(' | '));
    const channels = page.getByRole('group', { name: 'Channels' });
    await channels.getByLabel('#bulk-orders (Wholesale)').waitFor();
    assert.equal(await channels.getByLabel('#general (Demo Shop)').count(), 1);

    await fetch(`${demo.emulator}/_emulator/channels/${ids.chat}/overwrites`, {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: `{"id": ${ids.botUser}, "type": 1, "deny": ${VIEW_CHANNEL}}`,
    });
    await eventually(async () => {
      await page.goto('/#/bots');
      await page.goto(`/#/bots/${bot.id}`);
      const shown = await page.getByLabel('Low-stock channel').locator('option:checked').textContent({ timeout: 10_000 });
      return shown.includes(`Unknown channel ${ids.chat}`) ? shown : undefined;
    }, { timeout: 30_000, what: 'the vanished channel shown as such' });
    await page.locator('.field-warning', { hasText: `The saved channel ${ids.chat} is not one the bot can see` }).waitFor();
    // Saving the form keeps it: it was not silently dropped.
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.toast', { hasText: 'Stock Keeper saved' }).waitFor();
    const after = await adminApi(demo, 'GET', `/bots/${bot.id}`);
    assert.equal(after.low_stock_channel_id, ids.chat);
    bot.version = after.version;
    assert.deepEqual(page.problems, []);
  });

  it('offers the channels by name on Add bot once a token is typed', T, async () => {
    await page.goto('/#/bots/new');
    await page.getByLabel('Bot token').fill(ids.token);
    await page.getByLabel('Bot token').press('Tab');
    const channels = page.getByRole('group', { name: 'Channels' });
    await channels.getByLabel('#bulk-orders (Wholesale)').waitFor();
    const stock = await page.getByLabel('Stock message channel').locator('option').allTextContents();
    assert.ok(stock.includes('#stock (Demo Shop)'), stock.join(' | '));
    assert.deepEqual(page.problems, []);
  });

  it("applies a server's own prefix at once, without a restart", T, async () => {
    await page.goto(`/#/bots/${bot.id}`);
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Per-server settings' }) });
    await card.getByText("No server has settings of its own").waitFor();
    await card.getByLabel('Server').selectOption({ label: 'Wholesale' });
    await card.getByRole('button', { name: 'Add settings for this server' }).click();
    const form = page.getByRole('form', { name: 'Settings for Wholesale' });
    await form.getByLabel('Prefix', { exact: true }).fill('?');
    // The bot answers only in its own channel of the shop's server; here, in #bulk-orders.
    await form.getByRole('checkbox', { name: 'Answer prefix commands only in the channels ticked below' }).check();
    const here = form.getByRole('group', { name: 'Channels' });
    assert.equal(await here.getByLabel('#general (Demo Shop)').count(), 0, "only this server's channels");
    await here.getByLabel('#bulk-orders (Wholesale)').check();
    await form.getByRole('button', { name: 'Save server settings' }).click();
    await page.locator('.toast', { hasText: 'Settings for Wholesale saved' }).waitFor();
    const row = card.locator('tbody tr', { hasText: 'Wholesale' });
    await row.locator('td.cmd', { hasText: '?' }).waitFor();
    await row.getByText('#bulk-orders (Wholesale)').waitFor();
    // The running bot answers "?ping" in Wholesale now; its "!" still works in the shop's server.
    await userSays(demo, ids.orders, ids.shopper, '?ping');
    await eventually(async () => {
      const text = await (await fetch(`${demo.emulator}/_emulator/channels/${ids.orders}/messages`)).text();
      return /pong/i.test(text) ? text : undefined;
    }, { timeout: 30_000, what: 'the bot to answer ?ping in Wholesale' });
    assert.deepEqual(page.problems, []);
  });

  it("keeps the catalogue in a server's own stock channel, picked by name, at once", T, async () => {
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Per-server settings' }) });
    const row = card.locator('tbody tr', { hasText: 'Wholesale' });
    await row.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Settings for Wholesale' });
    const picker = form.getByLabel('Stock channel', { exact: true });
    const offered = await picker.locator('option').allTextContents();
    assert.ok(offered.includes('#bulk-orders (Wholesale)'), offered.join(' | '));
    assert.ok(!offered.some((o) => o.includes('(Demo Shop)')), `only this server's channels: ${offered.join(' | ')}`);
    await picker.selectOption({ label: '#bulk-orders (Wholesale)' });
    await form.getByRole('button', { name: 'Save server settings' }).click();
    // (The previous step's "saved" toast may still show: the row is what says this save landed.)
    await row.getByText('Stock: #bulk-orders (Wholesale)').waitFor();
    // The running bot posts the catalogue there (an embed listing the demo's products).
    await eventually(async () => {
      const messages = await (await fetch(`${demo.emulator}/_emulator/channels/${ids.orders}/messages`)).json();
      return messages.some((m) => m.author_is_bot && (m.embeds ?? []).length > 0) ? messages : undefined;
    }, { timeout: 30_000, what: 'the catalogue in #bulk-orders (Wholesale)' });
    assert.deepEqual(page.problems, []);
  });
});
