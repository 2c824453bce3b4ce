// The Webhooks page in a real browser against the real service: an admin adds a signed HTTP
// webhook for stock changes through the form, "Send test" says the receiver took it, a stock
// change reaches the receiver (its signature checked here) and both show in the delivery history;
// a receiver that answers 500 makes "Send test" say why it was not delivered.
// Run alone: `cd crates/botfleet/tests/browser && node --test webhooks.test.js` (after
// `cargo build -p botfleet`).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { startDemo, adminApi, launchBrowser, newPage, signIn, screenshot, eventually } from './harness.js';

const T = { timeout: 240_000 };
const SECRET = 'a-very-long-signing-secret';
let demo;
let chrome;
let page;

/** A receiver on 127.0.0.1 answering `status` and keeping every request it got. */
async function receiver(status) {
  const got = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, got, close: () => server.close() };
}

let ok;
let broken;

describe('webhooks page', () => {
  before(async () => {
    demo = await startDemo({ rate: 0 });
    ok = await receiver(204);
    broken = await receiver(500);
    chrome = await launchBrowser();
    page = await newPage(chrome.browser, demo);
    await signIn(page, 'admin', demo.password);
  });

  after(async () => {
    ok?.close();
    broken?.close();
    await chrome?.close();
    await demo?.stop();
  });

  it('adds a signed webhook, sends a test, and lists its deliveries', T, async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
    await page.getByText('No webhooks yet').waitFor();
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Add a webhook' }) });
    await form.getByLabel('Name', { exact: true }).fill('Order system');
    await form.getByLabel('URL').fill(ok.url);
    await form.getByLabel('Signing secret').fill(SECRET);
    await form.getByRole('checkbox', { name: 'Stock changes' }).check();
    await form.getByRole('button', { name: 'Add webhook' }).click();
    const row = page.locator('tbody tr', { hasText: 'Order system' });
    await row.getByText('Active').waitFor();
    await row.getByText('Stock changes').waitFor();

    await row.getByRole('button', { name: 'Send a test to Order system' }).click();
    await row.getByText('Delivered (204)').waitFor();

    // A stock change reaches the receiver, signed.
    const products = await adminApi(demo, 'GET', '/products');
    const product = products.items[0];
    await adminApi(demo, 'POST', `/products/${product.id}/stock`, { adjust: 1, reason: 'restock' });
    const delivered = await eventually(() => ok.got.find((r) => JSON.parse(r.body).type === 'stock'), { what: 'the stock delivery' });
    const [t, v1] = delivered.headers['x-botfleet-signature'].replace('t=', '').split(',v1=');
    assert.equal(v1, createHmac('sha256', SECRET).update(`${t}.${delivered.body}`).digest('hex'), 'signed over timestamp and body');
    assert.equal(JSON.parse(delivered.body).data.product.id, product.id);

    await row.getByRole('button', { name: 'Delivery history of Order system' }).click();
    const history = page.locator('section', { has: page.getByRole('heading', { name: 'Deliveries of Order system' }) });
    await eventually(async () => {
      if (!(await history.getByText('Stock changes').count())) {
        await row.getByRole('button', { name: 'Delivery history of Order system' }).click();
        return undefined;
      }
      return true;
    }, { what: 'the stock delivery in the history' });
    await history.getByText('Test', { exact: true }).waitFor();
    assert.ok(await history.getByText('HTTP 204').count() >= 2, 'the receiver answered 204 to both');
    await screenshot(page, 'webhooks');
    assert.deepEqual(page.problems, []);
  });

  it('says why a test was not delivered', T, async () => {
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Add a webhook' }) });
    await form.getByLabel('Name', { exact: true }).fill('Broken receiver');
    await form.getByLabel('URL').fill(broken.url);
    await form.getByLabel('Signing secret').fill(SECRET);
    await form.getByRole('checkbox', { name: 'Audit actions' }).check();
    await form.getByRole('button', { name: 'Add webhook' }).click();
    const row = page.locator('tbody tr', { hasText: 'Broken receiver' });
    await row.getByRole('button', { name: 'Send a test to Broken receiver' }).click();
    await row.getByText('Not delivered').waitFor();
    await row.getByText('the receiver answered 500').waitFor();
    assert.deepEqual(page.problems, []);
  });
});
