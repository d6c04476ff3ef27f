// Administration and the vehicle page in Chromium against the real fleetd: the operator registers
// a device for a customer and approves a pending one; a fleet manager creates a vehicle, installs
// the device, edits and archives; a viewer gets no change buttons; a tenant administrator creates a
// user (who signs in with the one-time password and must change it first) and finds the creation in
// the audit log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browser, enrolledClient, Fleetd, hasRoute, newPage, signInPage } from './harness.mjs';

let fleetd;
let chrome;
const IMEI = '356307042441013'; // 15 digits with a valid Luhn check digit
const HOSTILE = '<img src=x onerror="window.pwned=1"> Van & "7"';

before(async () => {
  fleetd = new Fleetd();
  fleetd.addTenant('acme');
  fleetd.addUser('operator', 'ops@fleetd.example', 'operator-admin');
  fleetd.addUser('acme', 'manager@acme.example', 'fleet-manager');
  fleetd.addUser('acme', 'viewer@acme.example', 'viewer');
  fleetd.addUser('acme', 'admin@acme.example', 'tenant-admin');
  await fleetd.start();
  chrome = await browser();
});

after(async () => {
  await chrome?.close();
  await fleetd?.stop();
});

// A select (organisations known) or a text field (a server without the tenants routes).
async function chooseTenant(form, name) {
  const field = form.getByLabel('Organisation');
  if ((await field.evaluate((el) => el.tagName)) === 'SELECT') await field.selectOption(name);
  else await field.fill(name);
}

describe('administration', () => {
  test('the operator registers a device for a customer and approves a pending one', async () => {
    const { secret } = await enrolledClient(fleetd, 'ops@fleetd.example');
    // An unregistered phone tries to report: it waits for approval.
    await fetch(`http://127.0.0.1:${fleetd.osmandPort}/?id=phone-77&lat=48.85&lon=2.35`, { method: 'POST' });

    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'ops@fleetd.example', { secret });
    // The operator's staff sees no positions: no live map; it lands in administration.
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'Live map' }).count(), 0);
    await page.getByRole('heading', { name: 'Administration', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Devices', level: 2, exact: true }).waitFor();

    await page.getByRole('button', { name: 'Register a device' }).click();
    const form = page.locator('form.entity-form');
    await form.getByLabel('IMEI / device id').fill(IMEI);
    await form.getByLabel('Protocol').selectOption('teltonika');
    await form.getByLabel('Name', { exact: true }).fill('FMB920 #1');
    await chooseTenant(form, 'acme');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('status').filter({ hasText: 'Created.' }).waitFor();
    const row = page.getByRole('row', { name: new RegExp(IMEI) });
    await row.waitFor();
    assert.match(await row.textContent(), /acme/);

    // A typing error in an IMEI is caught by the server's check digit and said on the form.
    await page.getByRole('button', { name: 'Register a device' }).click();
    await form.getByLabel('IMEI / device id').fill('356307042441014');
    await form.getByLabel('Protocol').selectOption('teltonika');
    await form.getByRole('button', { name: 'Create' }).click();
    await form.getByRole('alert').waitFor();
    await form.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Approve phone-77' }).click();
    await form.getByLabel('Name', { exact: true }).fill('Phone 77');
    await form.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('The device is registered.').waitFor();
    await page.getByRole('rowheader', { name: 'phone-77' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('a fleet manager creates a vehicle, installs a device, edits and archives it', async () => {
    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'manager@acme.example');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Vehicles' }).click();
    await page.getByRole('button', { name: 'New vehicle' }).click();
    const form = page.locator('form.entity-form');
    // The form opens with the focus on its first field.
    assert.equal(await form.getByLabel('Name').evaluate((el) => el === document.activeElement), true);
    await form.getByLabel('Name').fill(HOSTILE);
    await form.getByLabel('Plate').fill('GH-123-KL');
    await form.getByLabel('VIN').fill('WP0ZZZ99ZTS39212'); // 16 characters: refused
    await form.getByRole('button', { name: 'Create' }).click();
    await form.getByRole('alert').waitFor();
    await form.getByLabel('VIN').fill('WP0ZZZ99ZTS392124');
    await form.getByRole('button', { name: 'Create' }).click();

    // The vehicle's page, its name as text.
    await page.getByRole('heading', { name: HOSTILE, level: 1 }).waitFor();
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    await page.getByText('No device is installed.').waitFor();

    await page.getByRole('button', { name: 'Install a device' }).click();
    await form.getByLabel('Device').selectOption({ label: `${IMEI} — FMB920 #1` });
    await form.getByLabel('Note').fill('under the dashboard');
    await form.getByRole('button', { name: 'Install' }).click();
    await page.getByText('The device is installed.').waitFor();
    const device = page.getByRole('region', { name: 'Vehicle', exact: true });
    await device.getByText(IMEI).first().waitFor();
    await page.getByRole('cell', { name: 'under the dashboard' }).waitFor();

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await form.getByLabel('Plate').fill('AB-001-CD');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByText('AB-001-CD').waitFor();

    // The list finds it, sorted and searched.
    await page.getByRole('link', { name: 'All vehicles' }).click();
    await page.getByLabel('Search vehicles').fill('AB-001');
    await page.getByRole('link', { name: HOSTILE }).waitFor();

    await page.getByRole('link', { name: HOSTILE }).click();
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: 'Archive' }).click();
    await page.getByText('The vehicle is archived.').waitFor();
    await page.getByText('Archived', { exact: true }).first().waitFor();
    // Archiving ended the installation: the device is free again.
    await page.getByText('No device is installed.').waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('a viewer sees the fleet but no button that would change it', async () => {
    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'viewer@acme.example');
    await page.goto(`${fleetd.url}/vehicles`);
    await page.getByRole('heading', { name: 'Vehicles', level: 1 }).waitFor();
    await page.getByLabel('Show archived vehicles').check();
    await page.getByRole('link', { name: HOSTILE }).click();
    await page.getByRole('heading', { name: HOSTILE, level: 1 }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Edit' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Archive' }).count(), 0);
    await page.goto(`${fleetd.url}/admin`);
    await page.getByRole('heading', { name: 'Devices', level: 2, exact: true }).waitFor();
    const tabs = page.getByRole('navigation', { name: 'Administration sections' });
    assert.equal(await tabs.getByRole('link', { name: 'Users and roles' }).count(), 0);
    assert.equal(await tabs.getByRole('link', { name: 'Audit log' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /Register|Edit/ }).count(), 0);
    await tabs.getByRole('link', { name: 'Drivers' }).click();
    await page.getByText('No drivers.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'New driver' }).count(), 0);
    // An address the role may not use is "not found", not a broken page.
    await page.goto(`${fleetd.url}/admin/users`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('a tenant administrator creates a user, who signs in with the one-time password and changes it', async (t) => {
    if (!(await hasRoute(fleetd.url, 'POST', '/api/v1/users'))) {
      assert.fail('POST /api/v1/users is missing from this build');
      return;
    }
    const { secret } = await enrolledClient(fleetd, 'admin@acme.example');
    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'admin@acme.example', { secret });
    await page.goto(`${fleetd.url}/admin/users`);
    await page.getByRole('button', { name: 'New user' }).click();
    const form = page.locator('form.entity-form');
    await form.getByLabel('E-mail').fill('new.driver@acme.example');
    await form.getByLabel('Name', { exact: true }).fill('Jeanne Martin');
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByRole('button', { name: 'Create' }).click();
    const otp = (await page.getByTestId('one-time-password').textContent()).trim();
    assert.ok(otp.length >= 20, 'a one-time password is shown');
    await page.getByRole('rowheader', { name: 'new.driver@acme.example' }).waitFor();

    // The audit log says who did it; filtered by action.
    await page.getByRole('navigation', { name: 'Administration sections' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Action').fill('user.add');
    await page.getByRole('button', { name: 'Filter' }).click();
    const entry = page.getByRole('row', { name: /user\.add/ });
    await entry.first().waitFor();
    assert.equal(await page.getByRole('row', { name: /vehicle\.add/ }).count(), 0);
    assert.match(await entry.first().textContent(), /new\.driver@acme\.example/);

    const other = await newPage(chrome);
    await other.goto(`${fleetd.url}/signin`);
    await other.getByLabel('E-mail').fill('new.driver@acme.example');
    await other.getByLabel('Password', { exact: true }).fill(otp);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByRole('heading', { name: 'Choose your password' }).waitFor();
    await other.getByLabel('Current password').fill(otp);
    await other.getByLabel('New password', { exact: true }).fill('lantern-meadow-quartz-58');
    await other.getByLabel('New password again').fill('lantern-meadow-quartz-58');
    await other.getByRole('button', { name: 'Change password' }).click();
    await other.getByRole('heading', { name: 'Live map' }).waitFor();
    assert.deepEqual([...page.problems, ...other.problems], []);
    await other.context().close();
    await page.context().close();
  });
});
