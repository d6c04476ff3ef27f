// Geofences in Chromium against the real fleetd: a fleet manager draws a polygon (clicks on the
// map, closed on its first corner) and a circle (centre, then edge), imports a GeoJSON file (and a
// file with a bad feature is refused whole, with the feature's reason), edits a speed limit and
// deletes one; the server holds exactly what was drawn. The map has no tiles here (the plain
// background). Skipped while the build lacks the geofence routes (branch opsapi).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browser, Fleetd, hasRoute, newPage, PASSWORD, signInPage } from './harness.mjs';

let fleetd;
let chrome;
let api;
let missing = false;
const HOSTILE = '<img src=x onerror="window.pwned=1"> Yard';

before(async () => {
  fleetd = new Fleetd();
  fleetd.addTenant('acme');
  fleetd.addUser('acme', 'manager@acme.example', 'fleet-manager');
  fleetd.addUser('acme', 'viewer@acme.example', 'viewer');
  await fleetd.start();
  missing = !(await hasRoute(fleetd.url, 'GET', '/api/v1/geofences'));
  chrome = await browser();
  api = fleetd.client();
  await api.api('POST', '/api/v1/auth/login', { email: 'manager@acme.example', password: PASSWORD });
});

after(async () => {
  await chrome?.close();
  await fleetd?.stop();
});

async function geofences() {
  const r = await api.api('GET', '/api/v1/geofences?sort=name&limit=100');
  assert.equal(r.status, 200);
  return r.body.items;
}

describe('geofences', () => {
  test('draw a polygon and a circle, import GeoJSON, edit and delete', async (t) => {
    if (missing) return assert.fail('GET /api/v1/geofences is missing from this build');
    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'manager@acme.example');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Geofences' }).click();
    await page.getByRole('heading', { name: 'Geofences', level: 1 }).waitFor();
    await page.getByText('No geofence yet.').waitFor();
    const map = page.getByRole('region', { name: 'Map of the geofences' });
    const box = await map.boundingBox();
    const at = (dx, dy) => [box.x + dx, box.y + dy];

    // A polygon: four corners, closed by clicking the first one again.
    await page.getByRole('button', { name: 'Draw a polygon' }).click();
    for (const [dx, dy] of [[200, 150], [420, 160], [430, 380], [190, 360]]) {
      await page.mouse.click(...at(dx, dy));
    }
    await page.getByText('4 corners placed.').waitFor();
    await page.mouse.click(...at(201, 151));
    await page.getByText('Shape closed: 4 corners.').waitFor();
    const form = page.locator('form.entity-form');
    await form.getByLabel('Name').fill(HOSTILE);
    await form.getByLabel('Speed limit (km/h)').fill('30');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByText(`Geofence “${HOSTILE}” created.`).waitFor();
    let stored = await geofences();
    assert.equal(stored.length, 1);
    assert.equal(stored[0].kind, 'polygon');
    assert.equal(stored[0].name, HOSTILE);
    assert.equal(stored[0].speed_limit_kmh, 30);
    const ring = stored[0].geometry.coordinates[0];
    assert.equal(ring.length, 5); // four corners and the first again
    assert.deepEqual(ring[0], ring[4]);
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    // Drawn from the server's answer; the map then fits it (wait for the end of the zoom).
    await map.locator('path.geofence-shape').waitFor();
    await page.waitForTimeout(400);

    // A circle: the centre, then a click on its edge; the radius is shown in the form.
    await page.getByRole('button', { name: 'Draw a circle' }).click();
    await page.mouse.click(...at(650, 300));
    await page.getByText(/^Centre: /).waitFor();
    await page.mouse.move(...at(700, 300));
    await page.mouse.click(...at(750, 300));
    // The form shows the radius once the page has handled the click (poll: a busy machine is slow).
    let radius = 0;
    for (let i = 0; i < 40 && !(radius > 0); i++) {
      radius = Number(await page.getByLabel('Radius (m)').inputValue());
      if (!(radius > 0)) await page.waitForTimeout(100);
    }
    assert.ok(radius > 0, `radius ${radius}`);
    await form.getByLabel('Name').fill('Depot');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Geofence “Depot” created.').waitFor();
    stored = await geofences();
    const depot = stored.find((g) => g.name === 'Depot');
    assert.equal(depot.kind, 'circle');
    assert.equal(depot.geometry.type, 'Point');
    assert.ok(Math.abs(depot.radius_m - radius) <= 1, `${depot.radius_m} vs ${radius}`);

    // Another circle by dragging from its centre to its edge (the map does not pan meanwhile).
    await page.getByRole('button', { name: 'Draw a circle' }).click();
    const before = await map.locator('path.geofence-shape').first().getAttribute('d');
    await page.mouse.move(...at(300, 500));
    await page.mouse.down();
    await page.mouse.move(...at(340, 500), { steps: 5 });
    await page.mouse.up();
    assert.equal(await map.locator('path.geofence-shape').first().getAttribute('d'), before, 'the map did not pan');
    const dragged = Number(await page.getByLabel('Radius (m)').inputValue());
    assert.ok(dragged > 0 && dragged < radius, `dragged ${dragged}, clicked ${radius}`);
    await form.getByLabel('Name').fill('Parking');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Geofence “Parking” created.').waitFor();

    // By keyboard: the map panned with the arrow keys, a corner placed at its centre each time.
    await page.getByRole('button', { name: 'Draw a polygon' }).focus();
    await page.keyboard.press('Enter');
    const corner = page.getByRole('button', { name: 'Add a corner at the map’s centre' });
    for (const key of ['ArrowRight', 'ArrowDown', 'ArrowLeft']) {
      await corner.focus();
      await page.keyboard.press('Enter');
      await map.focus();
      for (let i = 0; i < 3; i++) await page.keyboard.press(key);
      await page.waitForTimeout(300); // the pan's animation
    }
    await page.getByText('3 corners placed.').waitFor();
    await page.getByRole('button', { name: 'Close the shape' }).focus();
    await page.keyboard.press('Enter');
    await form.getByLabel('Name').fill('Keyboard zone');
    await page.keyboard.press('Enter'); // submits the form
    await page.getByText('Geofence “Keyboard zone” created.').waitFor();
    const keyed = (await geofences()).find((g) => g.name === 'Keyboard zone');
    assert.equal(keyed.geometry.coordinates[0].length, 4);
    assert.equal(new Set(keyed.geometry.coordinates[0].slice(0, 3).map(String)).size, 3, 'three distinct corners');

    // Import: two features; then a file with a bad feature, refused whole with its reason.
    const collection = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { name: 'Client A' }, geometry: { type: 'Polygon', coordinates: [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]]] } },
        { type: 'Feature', properties: { name: 'Client B', radius_m: 250 }, geometry: { type: 'Point', coordinates: [4.85, 45.75] } },
      ],
    };
    const file = page.getByLabel(/^GeoJSON file/);
    await file.setInputFiles({ name: 'clients.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(collection)) });
    await page.getByText('2 geofences imported.').waitFor();
    await page.getByRole('button', { name: /^Client A/ }).waitFor();
    await page.getByRole('button', { name: /^Client B/ }).waitFor();
    const bad = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: 'No radius' }, geometry: { type: 'Point', coordinates: [1, 1] } }] };
    await file.setInputFiles({ name: 'bad.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(bad)) });
    await page.getByText('Nothing was imported: 1 feature is not a valid geofence:').waitFor();
    await page.getByText(/^Feature 1: /).waitFor();
    await file.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not json') });
    await page.getByText('notes.txt is not a JSON file.').waitFor();
    await file.setInputFiles({ name: 'huge.geojson', mimeType: 'application/geo+json', buffer: Buffer.alloc(2 * 1024 * 1024 + 1, 32) });
    await page.getByText('huge.geojson is larger than 2 MiB, the most one import takes: split it.').waitFor();
    assert.equal((await geofences()).length, 6);
    // All six on the map, drawn on the plain background (no tiles here).
    assert.equal(await map.locator('path.geofence-shape').count(), 6);
    assert.equal(await map.locator('.leaflet-tile').count(), 0);

    // Edit the speed limit of the depot, delete Client A.
    await page.getByRole('button', { name: 'Edit Depot' }).click();
    await form.getByLabel('Speed limit (km/h)').fill('20');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByText('Circle, ', { exact: false }).first().waitFor();
    // The keyboard's polygon redrawn as a circle (dragged): same geofence, new shape.
    await page.getByRole('button', { name: 'Edit Keyboard zone' }).click();
    await page.getByRole('button', { name: 'Redraw as a circle' }).click();
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Place the circle on the map first (a centre and a radius).').waitFor();
    await page.mouse.move(...at(500, 250));
    await page.mouse.down();
    await page.mouse.move(...at(530, 250), { steps: 4 });
    await page.mouse.up();
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const redrawn = (await geofences()).find((g) => g.name === 'Keyboard zone');
    assert.equal(redrawn.id, keyed.id);
    assert.equal(redrawn.kind, 'circle');
    assert.ok(redrawn.radius_m > 0);

    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: 'Delete: Client A' }).click();
    await page.getByText('Deleted.').waitFor();
    stored = await geofences();
    assert.deepEqual(stored.map((g) => g.name).sort(), [HOSTILE, 'Client B', 'Depot', 'Keyboard zone', 'Parking'].sort());
    assert.equal(stored.find((g) => g.name === 'Depot').speed_limit_kmh, 20);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('a viewer sees the geofences but cannot draw', async (t) => {
    if (missing) return assert.fail('GET /api/v1/geofences is missing from this build');
    const page = await newPage(chrome, { locale: 'fr-FR' });
    await page.goto(`${fleetd.url}/signin`);
    await page.getByLabel('E-mail').fill('viewer@acme.example');
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'Zones' }).click();
    await page.getByRole('heading', { name: 'Zones', level: 1 }).waitFor();
    await page.getByRole('list', { name: 'Zones' }).getByRole('button').first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Dessiner un polygone' }).count(), 0);
    assert.equal(await page.getByLabel(/^Fichier GeoJSON/).count(), 0);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
