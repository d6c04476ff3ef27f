// Languages: the browser's choice first, then the picker's, kept across visits.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { browser, Fleetd, newPage } from './harness.mjs';

let fleetd;
let chrome;

before(async () => {
  fleetd = await new Fleetd().start();
  chrome = await browser();
});

after(async () => {
  await chrome?.close();
  await fleetd?.stop();
});

test('a French browser gets French; the picker switches to English and back, and the choice stays', async () => {
  const page = await newPage(chrome, { locale: 'fr-FR' });
  await page.goto(fleetd.url);
  await page.getByRole('heading', { name: 'Connexion' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  await page.getByLabel('Langue').selectOption('en');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Language').selectOption('fr');
  await page.getByRole('button', { name: 'Se connecter' }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a browser in a language without messages gets English', async () => {
  const page = await newPage(chrome, { locale: 'de-DE' });
  await page.goto(fleetd.url);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.context().close();
});
