import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './support/browser.ts';
import { startStack, type Stack } from './support/stack.ts';

const NEWS = [
  'The city council voted on Tuesday to open three new public libraries next year.',
  'The libraries will offer free language classes, study rooms and a large collection of books for children.',
  'Officials said the ambitious project will cost twelve million euros and create forty permanent jobs.',
  'Residents welcomed the decision, although some questioned whether the municipal budget could sustain the expenditure.',
  'Construction is scheduled to begin in the spring, and the first library should open before the winter holidays.',
].join(' ');

const XSS = [
  'Researchers published a remarkable report about coastal erosion on Monday. <script>alert("script")</script>',
  'The <img src=x onerror="alert(\'onerror\')"> scientists measured the shoreline carefully for a decade.',
  'Readers can find the data [here](javascript:alert("href")) and <a href="javascript:alert(1)">there</a> on the website.',
  'Local fishermen described considerable changes to the harbour. <svg onload="alert(\'svg\')"></svg>',
].join('\n\n');

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
const dialogs: string[] = [];
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.on('page', (p) => p.on('dialog', (d) => void (dialogs.push(d.message()), d.dismiss())));
});

afterAll(async () => {
  if (consoleErrors.length) console.log(`browser console errors (informational):\n  ${consoleErrors.join('\n  ')}`);
  await context?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await stack?.stop();
});

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  page.on('dialog', (d) => void (dialogs.push(d.message()), d.dismiss()));
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  return page;
}

/** Fills the create form and presses Generate; returns ms until progress (or the article) shows. */
async function generate(page: Page, source: { text?: string; url?: string; title?: string }, level = 'A2'): Promise<number> {
  await page.goto(`${stack.webUrl}/articles`);
  if (source.url) {
    await page.getByLabel('A web address').check();
    await page.getByLabel('Article address').fill(source.url);
  } else {
    await page.getByLabel('Paste text').check();
    await page.getByLabel('Article text').fill(source.text ?? '');
    if (source.title) await page.getByLabel(/^Title/).fill(source.title);
  }
  await page.getByLabel('Language to read in').selectOption('en');
  await page.getByRole('radio', { name: new RegExp(`^${level}`) }).check();
  await page.getByLabel('Length in words').fill('60');
  const clicked = Date.now();
  await page.getByRole('button', { name: 'Generate' }).click();
  try {
    await page.locator('[role=progressbar], .prose').first().waitFor({ state: 'visible', timeout: 15_000 });
  } catch (error) {
    await screenshot(page, `failed-${Date.now()}`);
    const text = await page.locator('body').innerText().catch(() => '');
    throw new Error(`no progress at ${page.url()}:\n${text.slice(0, 1500)}`, { cause: error });
  }
  return Date.now() - clicked;
}

async function waitForArticle(page: Page): Promise<void> {
  try {
    await page.waitForURL(/\/articles\/[0-9a-f-]{36}$/, { timeout: 30_000 });
    await page.locator('.prose').waitFor({ timeout: 15_000 });
  } catch (error) {
    await screenshot(page, `failed-${Date.now()}`);
    const text = await page.locator('body').innerText().catch(() => '');
    throw new Error(`no article at ${page.url()}:\n${text.slice(0, 1500)}\n${stack.worker.logs.join('').slice(-2000)}`, { cause: error });
  }
}

describe('OPAD in the browser', () => {
  afterAll(() => {
    // No uncaught exception and no hydration mismatch in any page.
    expect(pageErrors).toEqual([]);
    expect(consoleErrors.filter((e) => /hydrat|did not match|Extra attributes|Prop `/i.test(e))).toEqual([]);
  });

  it('turns pasted text into a graded text with glosses, through the progress page', async () => {
    const page = await newPage();
    await page.goto(`${stack.webUrl}/articles`);
    await page.getByRole('heading', { name: 'Welcome to OPAD' }).waitFor();
    await screenshot(page, '01-articles-empty');

    const ms = await generate(page, { text: NEWS, title: 'New libraries for the city' });
    console.log(`first progress visible after ${ms} ms`);
    if (page.url().includes('/jobs/')) {
      await screenshot(page, '02-job-progress');
      // The offline job can finish within ~100 ms and the page then moves on to the article, so
      // the bar is checked only while it is still on screen (the job page's own tests cover it).
      const now = await page
        .getByRole('progressbar', { name: 'Progress of your text' })
        .getAttribute('aria-valuenow', { timeout: 1_000 })
        .catch(() => (page.url().includes('/jobs/') ? 'missing' : null));
      if (now !== null) expect(now).toMatch(/^\d+$/);
    }
    await waitForArticle(page);
    const glosses = page.locator('.prose .gloss-term');
    expect(await glosses.count()).toBeGreaterThan(0);
    const first = glosses.first();
    await first.focus();
    const tip = page.locator(`#${(await first.getAttribute('aria-describedby'))!.replace(/:/g, '\\:')}`);
    expect(await tip.isVisible()).toBe(true);
    await screenshot(page, '03-article-gloss-focus');
    await first.click();
    expect(await first.getAttribute('aria-expanded')).toBe('true');
    expect(await page.getByText(/Offline generator/).count()).toBe(1);
    expect(await page.getByText('Tokens').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Regenerate' }).count()).toBe(1);
    await page.close();
  });

  it('does the same from the address of a page on a local news site', async () => {
    stack.pages.set(
      '/news/harbour.html',
      `<!doctype html><html><head><title>Harbour reopens</title></head><body><article><h1>Harbour reopens after storm</h1>${NEWS.split('. ')
        .map((s) => `<p>${s}.</p>`)
        .join('')}</article></body></html>`,
    );
    const page = await newPage();
    await generate(page, { url: `${stack.pageUrl}/news/harbour.html` });
    await waitForArticle(page);
    const source = page.locator('.about-list a[href^="http://127.0.0.1"]');
    expect(await source.getAttribute('href')).toBe(`${stack.pageUrl}/news/harbour.html`);
    expect(await page.locator('.prose').innerText()).toMatch(/librar/i);
    await screenshot(page, '04-article-from-url');
    await page.close();
  });

  it('renders hostile source text inert', async () => {
    const page = await newPage();
    stack.pages.set('/news/xss.html', `<!doctype html><html><head><title>Erosion</title></head><body><article><h1>Coastal erosion</h1>${XSS.split('\n\n').map((p) => `<p>${p}</p>`).join('')}</article></body></html>`);
    for (const source of [{ text: XSS, title: '<img src=x onerror=alert("title")>' }, { url: `${stack.pageUrl}/news/xss.html` }]) {
      await generate(page, source, 'B1');
      await waitForArticle(page);
      await page.waitForTimeout(300);
      const report = await page.evaluate(() => {
        const main = document.querySelector('main')!;
        const onAttrs: string[] = [];
        for (const el of document.querySelectorAll('*')) for (const a of el.getAttributeNames()) if (a.toLowerCase().startsWith('on')) onAttrs.push(`${el.tagName}.${a}`);
        const jsHrefs = [...document.querySelectorAll('[href],[src],[action],[formaction]')]
          .flatMap((el) => ['href', 'src', 'action', 'formaction'].map((n) => el.getAttribute(n) ?? ''))
          .filter((v) => /^\s*javascript:/i.test(v));
        return { scripts: main.querySelectorAll('script, svg, iframe, img').length, onAttrs, jsHrefs };
      });
      expect(report).toEqual({ scripts: 0, onAttrs: [], jsHrefs: [] });
    }
    await screenshot(page, '05-article-xss-inert');
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('falls back to polling when the event stream is cut', async () => {
    const page = await newPage();
    let cut = 0;
    await page.route('**/jobs/*/events', (route) => {
      cut++;
      return route.abort('connectionreset');
    });
    // No worker: the job waits in the queue, so the page has to keep watching it.
    await stack.worker.stop();
    try {
      await generate(page, { text: NEWS });
      expect(page.url()).toMatch(/\/jobs\//);
      await page.getByText('Waiting for a free writer…').waitFor();
      await page.waitForTimeout(500);
      expect(cut).toBeGreaterThanOrEqual(1);
    } finally {
      await stack.worker.start();
    }
    await waitForArticle(page); // reached by polling the loader only
    expect(cut).toBe(1);
    await page.close();
  });

  it('explains a failed generation in plain words and offers a retry', async () => {
    const page = await newPage();
    await generate(page, { text: 'Too short to read.' });
    await page.getByRole('heading', { name: 'This text could not be written' }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('alert').innerText()).toMatch(/fewer than|too short|words/i);
    expect(await page.getByRole('button', { name: 'Try again' }).count()).toBe(1);
    await screenshot(page, '10-job-failed');
    const before = page.url();
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.waitForURL((url) => url.href !== before && /\/jobs\//.test(url.pathname));
    await page.close();
  });

  it('shows a friendly page while the api is down and recovers when it is back', async () => {
    const page = await newPage();
    await stack.api.stop();
    try {
      const res = await page.goto(`${stack.webUrl}/articles`);
      expect(res?.status()).toBe(503);
      await page.getByRole('heading', { name: /not reachable/ }).waitFor();
      const text = await page.locator('main').innerText();
      expect(text).not.toMatch(/ECONNREFUSED|Error:|at \w+ \(|node_modules/);
      await screenshot(page, '06-api-down');
    } finally {
      await stack.api.start();
    }
    await page.getByRole('link', { name: 'Try again' }).click();
    await page.getByRole('heading', { name: 'Your articles' }).waitFor();
    expect(await page.locator('.article-card').count()).toBeGreaterThan(0);
    await screenshot(page, '07-articles-list');
    await page.close();
  });

  it('works with JavaScript disabled: create, follow, read, delete', async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    const page = await noJs.newPage();
    try {
      await page.goto(`${stack.webUrl}/articles`);
      // A failed submit keeps the input and puts the message beside the field.
      await page.getByLabel('Article text').fill('   ');
      await page.getByRole('button', { name: 'Generate' }).click();
      await page.locator('#sourceText-error').waitFor();
      expect(await page.locator('#sourceText-error').innerText()).toMatch(/Paste the text/);
      await screenshot(page, '08-nojs-phone-dark-field-error');
      await page.getByLabel('Article text').fill(NEWS);
      await page.getByRole('button', { name: 'Generate' }).click();
      await waitForArticle(page);
      await screenshot(page, '09-nojs-phone-dark-article');
      await page.getByRole('link', { name: 'Delete…' }).click();
      await page.getByRole('button', { name: 'Yes, delete' }).click();
      await page.getByText('The article was deleted.').waitFor();
    } finally {
      await noJs.close();
    }
  });
});
