// The Stock page in a real browser against the real service: − and + adjust the stock, a typed
// number sets it, the switch hides a product from Discord, a change made elsewhere shows up
// without a reload, low and out of stock are marked in words, and a viewer can only look.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, adminApi, makeUser, launchBrowser, newPage, signIn, screenshot, eventually } from './harness.js';

const T = { timeout: 180_000 };
let demo;
let chrome;
let page;

const product = async (sku) => (await adminApi(demo, 'GET', '/products')).items.find((p) => p.sku === sku);
const row = (p, sku) => p.locator(`tbody tr[data-sku="${sku}"]`);

describe('stock page', () => {
  before(async () => {
    demo = await startDemo({ rate: 0.1 });
    chrome = await launchBrowser();
    page = await newPage(chrome.browser, demo);
    await signIn(page, 'admin', demo.password);
  });

  after(async () => {
    await chrome?.close();
    await demo?.stop();
  });

  it('adjusts, sets and hides stock, and follows changes made elsewhere', T, async () => {
    await page.goto('/#/stock');
    const mug = row(page, 'MUG-LOGO');
    await mug.waitFor();
    const stock = mug.getByLabel('Stock of Mug with logo');
    const before = (await product('MUG-LOGO')).stock;
    assert.equal(await stock.inputValue(), String(before));

    await mug.getByRole('button', { name: 'One more Mug with logo' }).click();
    await eventually(async () => (await product('MUG-LOGO')).stock === before + 1, { what: '+ to reach the server' });
    await eventually(async () => (await stock.inputValue()) === String(before + 1), { what: 'the new number on the page' });
    await mug.getByRole('button', { name: 'One less Mug with logo' }).click();
    await eventually(async () => (await product('MUG-LOGO')).stock === before, { what: '− to reach the server' });
    await eventually(async () => (await stock.inputValue()) === String(before), { what: 'the − on the page' });

    await stock.fill('4');
    await stock.press('Enter');
    await eventually(async () => (await product('MUG-LOGO')).stock === 4, { what: 'a typed number to be set' });
    await mug.getByText('Low', { exact: true }).waitFor();

    const shown = mug.getByRole('switch', { name: 'Show Mug with logo on Discord' });
    assert.equal(await shown.isChecked(), true);
    await shown.click();
    await eventually(async () => (await product('MUG-LOGO')).visible === false, { what: 'the switch to hide it' });
    await mug.getByText('Hidden', { exact: true }).waitFor();

    // Someone else sells the last caps... and restocks them: the page follows without a reload.
    await page.evaluate(() => { window.notReloaded = true; });
    const cap = await product('CAP-RED');
    await row(page, 'CAP-RED').getByText('Out of stock', { exact: true }).waitFor();
    await adminApi(demo, 'POST', `/products/${cap.id}/stock`, { adjust: 7, reason: 'delivery' });
    await eventually(async () => (await row(page, 'CAP-RED').getByLabel('Stock of Cap, red').inputValue()) === '7',
      { what: 'a change made elsewhere to appear' });
    await row(page, 'CAP-RED').getByText('In stock', { exact: true }).waitFor();
    assert.equal(await page.evaluate(() => window.notReloaded), true);
    await screenshot(page, 'stock');
    assert.deepEqual(page.problems, []);
  });

  it('keeps a number being typed when someone else changes the stock', T, async () => {
    await page.goto('/#/stock');
    const tee = row(page, 'TEE-BLK-M');
    await tee.waitFor();
    const before = await product('TEE-BLK-M');
    const stock = tee.getByLabel('Stock of T-shirt, black, M');
    await stock.fill('42');
    await tee.evaluate((tr) => { tr.dataset.drawnBefore = 'yes'; });
    await adminApi(demo, 'POST', `/products/${before.id}/stock`, { adjust: 1, reason: 'delivery' });
    await eventually(async () => (await page.locator('tbody tr[data-drawn-before]').count()) === 0,
      { what: 'the row to be drawn again with the change made elsewhere' });
    assert.equal(await stock.inputValue(), '42', 'the typed number is still there');
    await stock.press('Enter');
    await eventually(async () => (await product('TEE-BLK-M')).stock === 42, { what: 'the typed number to be set' });
    assert.deepEqual(page.problems, []);
  });

  it('shows a viewer the stock without the controls', T, async () => {
    const viewer = await makeUser(demo, 'vivian', 'viewer');
    const p = await newPage(chrome.browser, demo);
    await signIn(p, viewer.username, viewer.password);
    await p.goto('/#/stock');
    await row(p, 'TEE-BLK-M').waitFor();
    assert.equal(await p.getByRole('button', { name: /One (more|less)/ }).count(), 0);
    assert.equal(await p.getByRole('switch', { name: 'Show T-shirt, black, M on Discord' }).isDisabled(), true);
    assert.equal(await p.getByRole('button', { name: 'Import CSV' }).count(), 0);
    await p.close();
  });
});
