// Every list page pages, in a real browser against the real service: with more rows than a page
// holds, the Users, API keys, Stock and the alert Rules, Channels and Maintenance tabs show the
// first page and "Load more", which brings the rest (each row once) and then goes; the rule form
// still offers every channel and the maintenance form every rule (the pickers read all pages).
// Run alone: `node --test crates/botfleet/tests/browser/paging.test.js` after `cargo build -p botfleet`.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, adminApi, launchBrowser, newPage, signIn, eventually } from './harness.js';

const T = { timeout: 300_000 };
let demo;
let chrome;
let admin;

/** Adds rows through the API until the list at `path` holds `total`; returns its length. */
async function fill(path, total, make) {
  let have = 0;
  for (let cursor; ;) {
    const page = await adminApi(demo, 'GET', `${path}?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    have += page.items.length;
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  for (let i = have; i < total; i += 1) await make(i);
  return total;
}

/** Rows of the table in `scope`: the first page, then "Load more" until it goes. */
async function pageThrough(scope, pageSize, total, what) {
  const rows = scope.locator('tbody tr');
  const more = scope.getByRole('button', { name: 'Load more' });
  await more.waitFor({ timeout: 30_000 });
  assert.equal(await rows.count(), pageSize, `${what}: the first page`);
  while (await more.count()) {
    const shown = await rows.count();
    await more.click();
    await eventually(async () => (await rows.count()) > shown, { what: `${what}: the next page` });
  }
  assert.equal(await rows.count(), total, `${what}: every row once`);
}

describe('paging', () => {
  before(async () => {
    demo = await startDemo({ rate: 0, env: { BOTFLEET_RATE_LIMIT_PER_MINUTE: '100000' } });
    chrome = await launchBrowser();
    admin = await newPage(chrome.browser, demo);
    await signIn(admin, 'admin', demo.password);
  });

  after(async () => {
    await chrome?.close();
    await demo?.stop();
  });

  it('pages users, API keys and products with "Load more"', T, async () => {
    const users = await fill('/users', 53, (i) => adminApi(demo, 'POST', '/users', { username: `user${String(i).padStart(3, '0')}`, password: 'a-long-password-1', role: 'viewer' }));
    const keys = await fill('/api-keys', 57, (i) => adminApi(demo, 'POST', '/api-keys', { name: `key ${i}`, role: 'viewer' }));
    const products = await fill('/products', 104, (i) => adminApi(demo, 'POST', '/products', { sku: `SKU-${i}`, name: `Item ${String(i).padStart(3, '0')}`, price_minor: 100, currency: 'EUR', sort_order: 10 }));

    await admin.goto('/#/users');
    await pageThrough(admin.locator('main'), 50, users, 'users');
    await admin.goto('/#/keys');
    await pageThrough(admin.locator('main'), 50, keys, 'API keys');
    await admin.goto('/#/stock');
    await pageThrough(admin.locator('main'), 100, products, 'products');
    // Display order kept across pages: the last page ends with the last item by sort order and name.
    await assert.doesNotReject(admin.locator('tbody tr').last().getByText(`Item ${String(products - 1).padStart(3, '0')}`).waitFor());
  });

  it('pages alert rules, channels and maintenance windows; the forms still offer every one', T, async () => {
    const channels = await fill('/alerts/channels', 55, (i) => adminApi(demo, 'POST', '/alerts/channels', { name: `channel ${String(i).padStart(3, '0')}`, kind: 'discord_webhook', url: `https://discord.com/api/webhooks/${i + 1}/abc` }));
    const rules = await fill('/alerts/rules', 52, (i) => adminApi(demo, 'POST', '/alerts/rules', { name: `rule ${String(i).padStart(3, '0')}`, condition: { kind: 'bot_down', for_seconds: 600 }, enabled: false }));
    const windows = await fill('/alerts/maintenance', 51, (i) => adminApi(demo, 'POST', '/alerts/maintenance', { name: `window ${i}`, once: { starts_at: '2030-01-01T00:00:00Z', ends_at: '2030-01-02T00:00:00Z' } }));

    await admin.goto('/#/alerts?tab=channels');
    const channelsPanel = admin.getByRole('tabpanel', { name: 'Channels' });
    await pageThrough(channelsPanel, 50, channels, 'channels');

    await admin.goto('/#/alerts?tab=rules');
    const rulesPanel = admin.getByRole('tabpanel', { name: 'Rules' });
    await pageThrough(rulesPanel, 50, rules, 'rules');
    // The rule form's "Send to" lists every channel, not the first page's.
    await assert.doesNotReject(rulesPanel.getByRole('checkbox', { name: `channel ${String(channels - 1).padStart(3, '0')}` }).waitFor());
    assert.equal(await rulesPanel.locator('fieldset[data-field="channel_ids"] input[type=checkbox]').count(), channels);

    await admin.goto('/#/alerts?tab=maintenance');
    const windowsPanel = admin.getByRole('tabpanel', { name: 'Maintenance' });
    await pageThrough(windowsPanel, 50, windows, 'maintenance windows');
    // The window form offers every rule (and "Every rule").
    assert.equal(await windowsPanel.locator('select[name=rule_id] option').count(), rules + 1);
  });
});
