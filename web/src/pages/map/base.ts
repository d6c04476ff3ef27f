// A Leaflet map with the configured tiles (/config.json), shared by the live map and the history.
// Without tiles (offline, or none configured) what is drawn shows on a plain background.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { runtimeConfig } from '../../api/runtime';

const START: L.LatLngExpression = [46.6, 2.4]; // before anything is known: western Europe
const START_ZOOM = 5;

function escapeHtml(text: string): string {
  const div = document.createElement('div');
  div.textContent = text;
  return div.innerHTML;
}

// The map and a function that stops the tile set-up if the map is removed first.
export function baseMap(container: HTMLElement, options: L.MapOptions = {}): { map: L.Map; cancel: () => void } {
  const map = L.map(container, { center: START, zoom: START_ZOOM, worldCopyJump: true, ...options });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  let cancelled = false;
  void runtimeConfig().then((config) => {
    if (cancelled || !config.tile_url) return;
    L.tileLayer(config.tile_url, {
      maxZoom: 19,
      subdomains: 'abc',
      attribution: escapeHtml(config.tile_attribution),
      // The page sends no Referer anywhere; tile servers may ask for one, so they get the origin only.
      referrerPolicy: 'strict-origin',
    }).addTo(map);
  });
  return {
    map,
    cancel: () => {
      cancelled = true;
    },
  };
}

const SVG = 'http://www.w3.org/2000/svg';

// An arrow turned to the heading, built with DOM calls: no HTML string, no inline style attribute
// (the CSP allows neither); the rotation is set through the style object, which the CSP permits.
export function arrowElement(course: number, className: string): HTMLElement {
  const el = document.createElement('div');
  el.className = `vm-arrow ${className}`;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', 'M12 2 20 21 12 16.5 4 21z');
  svg.appendChild(path);
  el.appendChild(svg);
  el.style.transform = `rotate(${Number.isFinite(course) ? course : 0}deg)`;
  return el;
}
