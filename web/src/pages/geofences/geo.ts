// Geometry of the geofence drawing: the shapes being drawn, their GeoJSON, and a file to import.
import type { GeoPoint, GeoPolygon, Geofence } from '../../api/opsTypes';

export type LatLon = [number, number];

// A shape being drawn on the map. A circle: its centre, then its radius (the pointer's distance
// until a second click fixes it, or typed). A polygon: its vertices, then closed.
export type Draft =
  | { kind: 'circle'; center: LatLon | null; radius: number | null; fixed: boolean }
  | { kind: 'polygon'; points: LatLon[]; closed: boolean };

export function newDraft(kind: 'circle' | 'polygon'): Draft {
  return kind === 'circle' ? { kind, center: null, radius: null, fixed: false } : { kind, points: [], closed: false };
}

export function draftComplete(d: Draft): boolean {
  if (d.kind === 'circle') return d.center !== null && d.radius !== null && d.radius > 0;
  return d.closed && d.points.length >= 3;
}

// The draft's geometry for the API: a Point and its radius, or a closed Polygon ring.
export function draftGeometry(d: Draft): { kind: 'circle' | 'polygon'; geometry: GeoPoint | GeoPolygon; radius_m?: number } {
  if (d.kind === 'circle') {
    const [lat, lon] = d.center!;
    return { kind: 'circle', geometry: { type: 'Point', coordinates: [lon, lat] }, radius_m: Math.round(d.radius! * 10) / 10 };
  }
  const ring = d.points.map(([lat, lon]) => [lon, lat] as [number, number]);
  ring.push(ring[0]!);
  return { kind: 'polygon', geometry: { type: 'Polygon', coordinates: [ring] } };
}

// The shape of a stored geofence for Leaflet: a centre and radius, or the outer ring as lat/lon.
export function shapeOf(g: Geofence): { center: LatLon; radius: number } | { ring: LatLon[] } | null {
  if (g.geometry.type === 'Point') {
    const [lon, lat] = g.geometry.coordinates;
    return { center: [lat, lon], radius: g.radius_m ?? 0 };
  }
  if (g.geometry.type === 'Polygon' && g.geometry.coordinates[0]) {
    const ring = g.geometry.coordinates[0].map(([lon, lat]) => [lat, lon] as LatLon);
    if (ring.length > 1) ring.pop(); // the closing point repeats the first
    return { ring };
  }
  return null;
}

// A file's text as the body of POST /api/v1/geofences/import: a FeatureCollection (a lone Feature
// is wrapped in one). Anything else is refused here with the reason; the server checks each feature.
export function importBody(text: string): { body: { type: 'FeatureCollection'; features: unknown[] } } | { error: 'json' | 'collection' } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { error: 'json' };
  }
  if (doc && typeof doc === 'object') {
    const o = doc as { type?: unknown; features?: unknown };
    if (o.type === 'FeatureCollection' && Array.isArray(o.features)) return { body: { type: 'FeatureCollection', features: o.features } };
    if (o.type === 'Feature') return { body: { type: 'FeatureCollection', features: [doc] } };
  }
  return { error: 'collection' };
}
