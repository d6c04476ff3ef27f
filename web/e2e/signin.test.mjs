// Sign-in with a second factor, enrolment through the page, the lockout message, the end of a
// session, and the first-time password change — in Chromium against the real fleetd.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browser, Fleetd, newPage, PASSWORD, totp } from './harness.mjs';

let fleetd;
let chrome;

before(async () => {
  fleetd = new Fleetd();
  fleetd.addTenant('acme');
  fleetd.addUser('acme', 'manager@acme.example', 'fleet-manager');
  fleetd.addUser('acme', 'admin@acme.example', 'tenant-admin');
  fleetd.addUser('acme', 'locked@acme.example', 'viewer');
  fleetd.addUser('acme', 'expiring@acme.example', 'viewer');
  fleetd.addUser('acme', 'new@acme.example', 'viewer', { mustChange: true });
  await fleetd.start();
  chrome = await browser();
});

after(async () => {
  await chrome?.close();
  await fleetd?.stop();
});

async function fillSignIn(page, email, password = PASSWORD) {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('sign-in', () => {
  test('a user with TOTP is asked for the code and lands on the live map', async () => {
    // Enrol through the API, as the user would have done earlier.
    const setup = fleetd.client();
    await setup.api('POST', '/api/v1/auth/login', { email: 'manager@acme.example', password: PASSWORD });
    const { body: enrolment } = await setup.api('POST', '/api/v1/auth/totp/enroll', {});
    const confirmed = await setup.api('POST', '/api/v1/auth/totp/confirm', { code: totp(enrolment.secret) });
    assert.equal(confirmed.status, 200);

    const page = await newPage(chrome);
    await page.goto(`${fleetd.url}/vehicles`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await fillSignIn(page, 'manager@acme.example');
    const code = page.getByLabel('Authentication code');
    await code.waitFor();
    assert.equal(await code.evaluate((el) => el === document.activeElement), true);
    await code.fill('000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await code.fill(totp(enrolment.secret, 1)); // the step after the one confirm used
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where the user was going, inside the application's frame.
    await page.getByRole('heading', { name: 'Vehicles' }).waitFor();
    assert.match(page.url(), /\/vehicles$/);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Live map' }).click();
    await page.getByRole('heading', { name: 'Live map' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('an administrator enrols TOTP on the page: QR code, recovery codes once, then signs in with a code', async () => {
    const page = await newPage(chrome);
    await page.goto(fleetd.url);
    await fillSignIn(page, 'admin@acme.example');
    await page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('img', { name: /QR code/ }).waitFor();
    const secret = (await page.getByTestId('totp-secret').textContent()).replace(/\s/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await page.getByLabel('Code shown by the app').fill(totp(secret));
    await page.getByRole('button', { name: 'Confirm' }).click();
    const codes = page.getByTestId('recovery-codes').getByRole('listitem');
    await codes.first().waitFor();
    assert.equal(await codes.count(), 10);
    const cont = page.getByRole('button', { name: 'Continue' });
    assert.equal(await cont.isDisabled(), true);
    await page.getByLabel('I have stored these codes').check();
    await cont.click();
    await page.getByRole('heading', { name: 'Live map' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    await fillSignIn(page, 'admin@acme.example');
    await page.getByLabel('Authentication code').fill(totp(secret, 1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Live map' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('after repeated failures the page says the account is locked and for how long', async () => {
    const page = await newPage(chrome);
    await page.goto(`${fleetd.url}/signin`);
    let message = '';
    for (let attempt = 0; attempt < 7 && !/locked/.test(message); attempt++) {
      await fillSignIn(page, 'locked@acme.example', 'not-the-password-at-all');
      await page.getByRole('alert').waitFor();
      await page.waitForFunction(() => !document.querySelector('form[aria-busy="true"]'));
      message = await page.getByRole('alert').textContent();
    }
    assert.match(message, /this account is locked\. Try again in 15 minutes\./);
    // Even the right password is refused while locked, with the same message.
    await fillSignIn(page, 'locked@acme.example');
    await page.waitForFunction(() => !document.querySelector('form[aria-busy="true"]'));
    assert.match(await page.getByRole('alert').textContent(), /locked/);
    await page.context().close();
  });

  test('a session ended on the server sends the user back to sign-in with a message', async () => {
    const page = await newPage(chrome);
    await page.goto(fleetd.url);
    await fillSignIn(page, 'expiring@acme.example');
    await page.getByRole('heading', { name: 'Live map' }).waitFor();
    // End the session behind the page's back (as the idle timeout would).
    const jar = await page.context().cookies();
    const cookie = jar.map((c) => `${c.name}=${c.value}`).join('; ');
    const csrf = jar.find((c) => c.name === '__Host-fleetd_csrf').value;
    const res = await fetch(`${fleetd.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: fleetd.url },
    });
    assert.equal(res.status, 204);
    // The user comes back to the tab.
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await page.getByText('Your session has expired. Please sign in again.').waitFor();
    assert.match(page.url(), /\/signin$/);
    await page.context().close();
  });

  test('a one-time password must be changed first', async (t) => {
    const probe = await fetch(`${fleetd.url}/api/v1/me/password`, { method: 'POST', headers: { Origin: fleetd.url } });
    const page = await newPage(chrome);
    await page.goto(fleetd.url);
    await fillSignIn(page, 'new@acme.example');
    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    if (probe.status === 404) {
      // The form is there; the route that takes it is not on this server yet.
      await page.context().close();
      assert.fail('POST /api/v1/me/password is missing from this build');
      return;
    }
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('violet-harbour-compass-97');
    await page.getByLabel('New password again').fill('violet-harbour-compass-97');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Live map' }).waitFor();
    await page.context().close();
  });
});
