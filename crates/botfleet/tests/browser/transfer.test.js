// The Configuration page in a real browser against the real service: a document exported through
// the API, changed (a price, a new product), chosen in the Import form shows the dry run's diff —
// the new product as new, the price old → new, the rest unchanged — and changes nothing until
// Import is pressed; then the change is made and the result shown.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo, adminApi, launchBrowser, newPage, signIn, eventually } from './harness.js';

const T = { timeout: 180_000 };
let demo;
let chrome;
let page;

const product = async (sku) => (await adminApi(demo, 'GET', '/products?limit=500')).items.find((p) => p.sku === sku);

describe('configuration page', () => {
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

  it('shows an import\'s dry-run diff, then imports it', T, async () => {
    const doc = await adminApi(demo, 'POST', '/config/export', {});
    const mug = doc.products.find((p) => p.sku === 'MUG-LOGO');
    const oldPrice = mug.price_minor;
    mug.price_minor = oldPrice + 250;
    doc.products.push({ sku: 'POSTER-A3', name: 'Poster, A3', price_minor: 1200, currency: 'EUR', stock: 8,
      low_stock_threshold: 2, visible: true });
    const file = join(mkdtempSync(join(tmpdir(), 'botfleet-config-')), 'config.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));

    await page.goto('/#/config');
    await page.getByRole('heading', { name: 'Configuration', level: 1 }).waitFor();
    await page.getByLabel('Configuration file').setInputFiles(file);

    // The dry run: the diff, readable, and nothing changed yet.
    await page.getByRole('heading', { name: 'What the import will do' }).waitFor();
    const poster = page.locator('section[data-section="products"] tr[data-key="POSTER-A3"]');
    await poster.getByText('New', { exact: true }).waitFor();
    const changed = page.locator('section[data-section="products"] tr[data-key="MUG-LOGO"]');
    await changed.getByText('Changed', { exact: true }).waitFor();
    assert.match(await changed.innerText(), new RegExp(`price_minor: ${oldPrice} → ${oldPrice + 250}`));
    await page.locator('section[data-section="bots"] tr[data-action="unchanged"]').first().waitFor();
    assert.match(await page.locator('.diff-summary').innerText(), /1 new, 1 changed/);
    assert.equal(await product('POSTER-A3'), undefined, 'a dry run changes nothing');
    assert.equal((await product('MUG-LOGO')).price_minor, oldPrice);

    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Imported', exact: true }).waitFor();
    await eventually(async () => (await product('POSTER-A3'))?.stock === 8, { what: 'the new product imported' });
    assert.equal((await product('MUG-LOGO')).price_minor, oldPrice + 250);
    const audit = await adminApi(demo, 'GET', '/audit-logs?action=config.import');
    assert.equal(audit.items.length, 1);
    assert.deepEqual(page.problems, []);
  });
});
