// The account page and password reset in Chromium against the real fleetd: the sessions list and
// signing out elsewhere, new recovery codes, and a password reset with the code from the e-mail
// (the development mailer writes it to the data folder's outbox).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browser, enrolledClient, Fleetd, newPage, signInPage, totp } from './harness.mjs';

let fleetd;
let chrome;

before(async () => {
  fleetd = new Fleetd();
  fleetd.addTenant('acme');
  fleetd.addUser('acme', 'manager@acme.example', 'fleet-manager');
  fleetd.addUser('acme', 'forgetful@acme.example', 'viewer');
  await fleetd.start();
  chrome = await browser();
});

after(async () => {
  await chrome?.close();
  await fleetd?.stop();
});

describe('account', () => {
  test('sessions: this browser is marked, the others are signed out; new recovery codes', async () => {
    // Enrolled with the previous period's code: sign-in takes this period's, the renewal the next.
    const { client: elsewhere, secret } = await enrolledClient(fleetd, 'manager@acme.example', { step: -1 });
    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'manager@acme.example', { secret, step: 0 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    const sessions = page.getByRole('list', { name: 'Where you are signed in' });
    await sessions.getByRole('listitem').nth(1).waitFor();
    assert.equal(await sessions.getByRole('listitem').count(), 2);
    await sessions.getByText('This browser').waitFor();
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await page.getByText('1 other session signed out.').waitFor();
    await sessions.getByRole('listitem').nth(1).waitFor({ state: 'detached' });
    assert.equal((await elsewhere.api('GET', '/api/v1/me')).status, 401);

    await page.getByRole('button', { name: 'New recovery codes' }).click();
    await page.getByLabel('Code shown by the app').fill(totp(secret, 1));
    await page.getByRole('button', { name: 'New recovery codes' }).click();
    const codes = page.getByTestId('recovery-codes').getByRole('listitem');
    await codes.first().waitFor();
    assert.equal(await codes.count(), 10);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('a forgotten password is reset with the code from the e-mail', async () => {
    const page = await newPage(chrome);
    await page.goto(`${fleetd.url}/signin`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('E-mail').fill('forgetful@acme.example');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByText(/If an account has this address/).waitFor();

    // The development mailer writes the mail to <data>/outbox/.
    const outbox = join(fleetd.data, 'outbox');
    let mail = '';
    for (let i = 0; i < 50 && !mail; i++) {
      const files = (() => {
        try {
          return readdirSync(outbox).filter((f) => f.endsWith('.eml'));
        } catch {
          return [];
        }
      })();
      if (files.length) mail = readFileSync(join(outbox, files[0]), 'utf8');
      else await new Promise((r) => setTimeout(r, 100));
    }
    const code = mail.match(/usable once:\s+(\S+)/)?.[1];
    assert.ok(code, 'the reset mail holds a code');

    await page.getByLabel('Code from the e-mail').fill('not-the-code');
    await page.getByLabel('New password', { exact: true }).fill('copper-willow-anthem-31');
    await page.getByLabel('New password again').fill('copper-willow-anthem-31');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByRole('alert').filter({ hasText: 'unknown, expired or already used' }).waitFor();
    await page.getByLabel('Code from the e-mail').fill(code);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText(/Your password has been changed/).waitFor();
    await page.getByRole('link', { name: 'Back to sign-in' }).click();
    await page.getByLabel('E-mail').fill('forgetful@acme.example');
    await page.getByLabel('Password', { exact: true }).fill('copper-willow-anthem-31');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Live map' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
