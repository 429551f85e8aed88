/// <reference lib="dom" />
// (functions passed to page.evaluate run in the browser)
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { account, digUntil } from '@ddns/testkit';
import { seriousViolations, type AxeViolation } from './support/axe';
import { CHROMIUM_ARGS } from './support/browser';
import { tabTo } from './support/keyboard';
import { startStack, type Stack } from './support/stack';
import { totp } from './support/totp';

/**
 * The dashboard end to end, as a person uses it, against api, dns and mailer processes and a real SMTP server:
 * sign-up with the proof of work → the verification mail → login → a domain → its ddclient settings copied
 * from the page and run with the real ddclient → the address appears live → a TXT record that dig sees →
 * password reset by mail → TOTP on and a login with it → logout. Then axe-core on every page at phone and
 * desktop size, and the main flow by keyboard only. Writes the README's screenshots (docs/screenshots).
 */
jest.setTimeout(600_000);

const root = join(__dirname, '..', '..', '..', '..');
const SHOTS = join(root, 'docs', 'screenshots');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const DDCLIENT = ['/usr/bin/ddclient', '/usr/sbin/ddclient'].find(existsSync) ?? 'ddclient';

let s: Stack;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  s = await startStack({ SIGNUP_MODE: 'open', SIGNUP_POW_DIFFICULTY: '8' });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  dir = mkdtempSync(join(tmpdir(), 'ddns-dash-'));
  mkdirSync(SHOTS, { recursive: true });
}, 400_000);
afterAll(async () => {
  await browser?.close();
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What must never happen on any page: a request to another host, a CSP violation, a script error. */
interface Watch {
  foreign: string[];
  problems: string[];
}
function watch(page: Page): Watch {
  const w: Watch = { foreign: [], problems: [] };
  page.on('request', (r) => {
    if (!r.url().startsWith(`${s.base}/`) && !r.url().startsWith('data:')) w.foreign.push(r.url());
  });
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) w.problems.push(m.text());
  });
  page.on('pageerror', (e) => w.problems.push(e.message));
  return w;
}

async function newPage(viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page; w: Watch }> {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.base });
  // a loaded machine: generous waits (nothing here is a timing assertion)
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  return { context, page, w: watch(page) };
}

const heading = (page: Page, name: string) => page.getByRole('heading', { name, level: 1 }).waitFor();

async function shot(page: Page, name: string): Promise<void> {
  const size = page.viewportSize();
  const kind = size && size.width < 600 ? 'phone' : 'desktop';
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `${name}-${kind}.png`), fullPage: kind === 'phone' });
}

async function login(page: Page, email: string, password: string): Promise<void> {
  await heading(page, 'Log in');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** On a failure: what the page showed (its text and a screenshot), for the log. */
async function explainFailure(page: Page): Promise<void> {
  const file = join(tmpdir(), `ddns-dashboard-failure-${Date.now()}.png`);
  await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
  const text = await page
    .locator('main')
    .innerText({ timeout: 2000 })
    .catch(() => '');
  process.stderr.write(`dashboard failure at ${page.url()} (screenshot ${file}):\n${text}\n`);
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000 }, (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`));
  });
}

const mailLink = (text: string, path: string) =>
  new RegExp(`(http://127\\.0\\.0\\.1:\\d+${path}\\?token=[^\\s"<>]+)`).exec(text)?.[1];

const email = 'alice@example.com';
const firstPassword = 'correct horse battery';
const newPassword = 'a different long password';

test('sign-up → mail → login → domain → ddclient from the copied settings → live address → TXT in DNS → reset → TOTP → logout', async () => {
  const { context, page, w } = await newPage();
  try {
    // sign-up (open mode: the page solves the proof of work)
    await page.goto(`${s.base}/signup`);
    await heading(page, 'Sign up');
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(firstPassword);
    await shot(page, 'signup');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText(/We sent a verification link/).waitFor({ timeout: 120_000 });

    // the verification mail, through the mailer and SMTP
    const verifyMail = await s.smtp.waitFor((m) => m.to.includes(email), 120_000);
    const verifyLink = mailLink(verifyMail.text, '/verify-email');
    expect(verifyLink).toBeDefined();
    await page.goto(verifyLink!);
    await page.getByText(`${email} is verified.`).waitFor({ timeout: 30_000 });
    await page.getByRole('link', { name: 'Log in' }).click();

    // login, add a domain: its token is shown once
    await login(page, email, firstPassword);
    await heading(page, 'Domains');
    await page.getByLabel('Name').fill('home');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('home.dyn.test added.').waitFor();
    await page.getByRole('link', { name: 'Router settings for home.dyn.test' }).click();
    await heading(page, 'home.dyn.test');
    expect(await page.locator('dd[data-field="ipv4"]').innerText()).toBe('none');

    // copy the ddclient settings with the page's button, read them from the clipboard, run the real ddclient
    await page.getByRole('button', { name: 'Copy ddclient settings' }).click();
    await page.getByText('ddclient settings copied.').waitFor();
    const conf = await page.evaluate(() => navigator.clipboard.readText());
    expect(conf).toContain(`server=${new URL(s.base).host}\n`);
    expect(conf).not.toContain('YOUR_DOMAIN_TOKEN');
    const confFile = join(dir, 'ddclient.conf');
    writeFileSync(confFile, conf, { mode: 0o600 });
    const out = await run(DDCLIENT, [
      '-daemon=0',
      '-foreground',
      '-verbose',
      '-file',
      confFile,
      '-cache',
      join(dir, 'ddclient.cache'),
    ]);
    expect(out).toMatch(/SUCCESS: +updating home\.dyn\.test: good: IP address set to 127\.0\.0\.1/);

    // the page shows the new address without a reload (event stream, or polling every 2 s)
    await page.locator('dd[data-field="ipv4"]', { hasText: '127.0.0.1' }).waitFor({ timeout: 30_000 });
    await shot(page, 'domain');

    // a TXT record through the editor, answered by the DNS process
    await page.getByLabel('Type').selectOption('TXT');
    await page.getByLabel('Name', { exact: true }).fill('_hello');
    await page.getByLabel('Text').fill('hello from the dashboard');
    await page.getByRole('button', { name: 'Add record' }).click();
    await page.getByText(/^Added TXT _hello\.home\.dyn\.test/).waitFor();
    const txt = await digUntil(s.dns.port, '_hello.home.dyn.test', 'TXT', (a) => a.length > 0, 30_000);
    expect(txt).toEqual(['"hello from the dashboard"']);
    // the API's validation error appears next to its field
    await page.getByLabel('Type').selectOption('MX');
    await page.getByLabel('Priority').fill('lots');
    await page.getByLabel('Mail server').fill('mail.example.net');
    await page.getByRole('button', { name: 'Add record' }).click();
    await page.locator('#rec-priority-error').waitFor();
    expect(await page.getByLabel('Priority').getAttribute('aria-invalid')).toBe('true');

    await page.getByRole('link', { name: 'Domains', exact: true }).click();
    await heading(page, 'Domains');
    await page.locator('td[data-field="ipv4"]', { hasText: '127.0.0.1' }).waitFor();
    await shot(page, 'domains');
    await page.setViewportSize(PHONE);
    await shot(page, 'domains');
    await page.setViewportSize(DESKTOP);

    // log out; reset the password through the mail
    await page.getByRole('button', { name: 'Log out' }).click();
    await heading(page, 'Log in');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await heading(page, 'Reset your password');
    await page.getByLabel('E-mail').fill(email);
    await page.getByRole('button', { name: 'Mail me a reset link' }).click();
    await page.getByText(/a reset link is on its way/).waitFor();
    const resetMail = await s.smtp.waitFor(
      (m) => m.to.includes(email) && /reset-password/.test(m.text),
      120_000,
    );
    await page.goto(mailLink(resetMail.text, '/reset-password')!);
    await page.getByLabel('New password').fill(newPassword);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText(/Your password is changed/).waitFor();
    await page.getByRole('link', { name: 'Log in' }).click();
    await login(page, email, firstPassword);
    await page.getByRole('alert').filter({ hasText: /./ }).waitFor();
    await login(page, email, newPassword);
    await heading(page, 'Domains');

    // TOTP on: the key from the page into "an authenticator app" (RFC 6238 here), the recovery codes shown once
    await page.getByRole('link', { name: 'Account' }).click();
    await heading(page, 'Account settings');
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const secret = (await page.locator('#totp-secret').innerText()).trim();
    await page.getByLabel('Code from the app').fill(totp(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('Two-factor authentication is on. Keep the recovery codes.').waitFor();
    expect(
      (await page.locator('#secret-recovery-codes').innerText()).trim().split('\n').length,
    ).toBeGreaterThan(4);
    await shot(page, 'account');

    // log in again: password, then a code of a later 30-second step (a used step is refused)
    const usedStep = Math.floor(Date.now() / 30_000);
    await page.getByRole('button', { name: 'Log out' }).click();
    await login(page, email, newPassword);
    await page.getByLabel('Authentication code').waitFor();
    while (Math.floor(Date.now() / 30_000) === usedStep) await new Promise((r) => setTimeout(r, 500));
    await page.getByLabel('Authentication code').fill(totp(secret));
    await page.getByRole('button', { name: 'Verify and log in' }).click();
    await heading(page, 'Domains');

    // log out: the session is gone
    await page.getByRole('button', { name: 'Log out' }).click();
    await heading(page, 'Log in');
    expect(await page.evaluate(() => fetch('/v1/auth/whoami').then((r) => r.status))).toBe(401);

    expect(w.foreign).toEqual([]);
    expect(w.problems).toEqual([]);
  } catch (err) {
    await explainFailure(page);
    throw err;
  } finally {
    await context.close();
  }
});

test('axe-core: no serious or critical violation on any page, at 390×844 and 1280×800', async () => {
  const admin = await account(s.t.db, { admin: true });
  const report: Record<string, AxeViolation[]> = {};
  const lines: string[] = [];
  for (const viewport of [PHONE, DESKTOP]) {
    const { context, page, w } = await newPage(viewport);
    const check = async (label: string) => {
      await page.waitForLoadState('networkidle');
      const v = await seriousViolations(page);
      report[`${label} @${viewport.width}`] = v;
      lines.push(`${label} @${viewport.width}x${viewport.height}: ${v.length} serious/critical`);
    };
    try {
      for (const [path, title] of [
        ['/login', 'Log in'],
        ['/signup', 'Sign up'],
        ['/reset-password', 'Reset your password'],
        ['/verify-email?token=nonsense', 'E-mail verification'],
      ] as const) {
        await page.goto(`${s.base}${path}`);
        await heading(page, title);
        await check(path);
      }
      await page.goto(`${s.base}/login`);
      await login(page, admin.email, 'password123');
      await heading(page, 'Domains');
      const name = `axe${viewport.width}`;
      await page.getByLabel('Name').fill(name);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.getByText(`${name}.dyn.test added.`).waitFor();
      await check('/domains (a token shown)');
      for (const [path, title] of [
        ['/domains', 'Domains'],
        [`/domains/${name}.dyn.test`, `${name}.dyn.test`],
        ['/logs', 'Update log'],
        ['/checks', 'Health checks'],
        ['/gateways', 'WebThings gateways'],
        ['/mail-domains', 'Mail domains'],
        ['/keys', 'API keys'],
        ['/account', 'Account settings'],
        ['/admin/accounts', 'Admin: accounts'],
        ['/admin/zones', 'Admin: zones'],
      ] as const) {
        await page.goto(`${s.base}${path}`);
        await heading(page, title);
        await check(path);
        if (viewport === PHONE && ['/keys', '/admin/accounts'].includes(path))
          await shot(page, path.slice(1).replace('/', '-'));
      }
      expect(w.foreign).toEqual([]);
      expect(w.problems).toEqual([]);
    } finally {
      await context.close();
    }
  }
  process.stdout.write(`axe-core (serious + critical):\n  ${lines.join('\n  ')}\n`);
  const bad = Object.entries(report).filter(([, v]) => v.length > 0);
  expect(bad).toEqual([]);
});

test('keyboard only: log in, add a domain, open it, copy its settings, log out; focus always visible', async () => {
  const user = await account(s.t.db);
  const { context, page, w } = await newPage();
  try {
    await page.goto(`${s.base}/login`);
    await heading(page, 'Log in');
    await tabTo(page, page.getByRole('link', { name: 'Skip to content' }));
    await tabTo(page, page.getByLabel('E-mail'));
    await page.keyboard.type(user.email);
    await tabTo(page, page.getByLabel('Password', { exact: true }));
    await page.keyboard.type('password123');
    await page.keyboard.press('Enter');
    await heading(page, 'Domains');
    await tabTo(page, page.getByLabel('Name'));
    await page.keyboard.type('keys');
    await page.keyboard.press('Enter');
    await page.getByText('keys.dyn.test added.').waitFor();
    await tabTo(page, page.getByRole('link', { name: 'Router settings for keys.dyn.test' }));
    await page.keyboard.press('Enter');
    await heading(page, 'keys.dyn.test');
    await tabTo(page, page.getByRole('button', { name: 'Copy ddclient settings' }));
    await page.keyboard.press('Enter');
    await page.getByText('ddclient settings copied.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('keys.dyn.test');
    await page.keyboard.press('Shift+Tab');
    await tabTo(page, page.getByRole('button', { name: 'Log out' }), 200);
    await page.keyboard.press('Enter');
    await heading(page, 'Log in');
    expect(w.foreign).toEqual([]);
    expect(w.problems).toEqual([]);
  } finally {
    await context.close();
  }
});
