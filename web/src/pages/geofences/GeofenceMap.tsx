// The geofences on a Leaflet map (circles and polygons, on a plain background when there are no
// tiles), and the drawing of a new one with Leaflet's own events — no drawing plugin: a circle is a
// press for the centre, then a drag, or a second click, or a typed radius for its size (the map
// does not pan meanwhile); a polygon is a click per vertex, closed by clicking the first vertex
// again, a double click, or the "Close" button.
// Names reach Leaflet only as DOM text (tooltips are elements built here), never as HTML.
import L from 'leaflet';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Geofence } from '../../api/opsTypes';
import { baseMap } from '../map/base';
import { shapeOf, type Draft, type LatLon } from './geo';

// A click this close (in pixels) to the first vertex closes the polygon.
const CLOSE_PX = 12;
// A circle's edge closer than this (in pixels) to its centre is the centre's own click.
const EDGE_MIN_PX = 4;

interface Props {
  geofences: Geofence[];
  selectedId: number | null;
  onSelect: (id: number) => void;
  draft: Draft | null;
  onDraft: (d: Draft) => void;
  // Set by the map: where its centre is (the keyboard's way to place a point: pan, then add).
  centerRef: { current: (() => LatLon) | null };
}

function textElement(text: string): HTMLElement {
  const el = document.createElement('span');
  el.textContent = text;
  return el;
}

export function GeofenceMap({ geofences, selectedId, onSelect, draft, onDraft, centerRef }: Props) {
  const { t } = useTranslation();
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const shapes = useRef<L.LayerGroup | null>(null);
  const drawing = useRef<L.LayerGroup | null>(null);
  const fitted = useRef(false);
  // The latest props for the handlers Leaflet keeps.
  const latest = useRef({ draft, onDraft, onSelect });
  latest.current = { draft, onDraft, onSelect };

  useEffect(() => {
    if (!container.current) return;
    const { map: m, cancel } = baseMap(container.current);
    map.current = m;
    shapes.current = L.layerGroup().addTo(m);
    drawing.current = L.layerGroup().addTo(m);
    centerRef.current = () => {
      const c = m.getCenter();
      return [c.lat, c.lng];
    };
    // A circle's centre is placed on the press, so that a drag from there sizes it.
    m.on('mousedown', (e: L.LeafletMouseEvent) => {
      const { draft: d, onDraft: set } = latest.current;
      if (d?.kind === 'circle' && !d.center) set({ ...d, center: [e.latlng.lat, e.latlng.lng] });
    });
    m.on('click', (e: L.LeafletMouseEvent) => {
      const { draft: d, onDraft: set } = latest.current;
      if (!d) return;
      const at: LatLon = [e.latlng.lat, e.latlng.lng];
      if (d.kind === 'circle') {
        if (!d.center || d.fixed) {
          // Placed (a typed radius) or done: a click moves the centre, the radius stays.
          set({ ...d, center: at, fixed: d.radius !== null });
        } else if (m.latLngToContainerPoint(L.latLng(d.center)).distanceTo(e.containerPoint) >= EDGE_MIN_PX) {
          set({ ...d, radius: Math.max(1, m.distance(L.latLng(d.center), e.latlng)), fixed: true });
        }
        return;
      }
      if (d.closed) return;
      const first = d.points[0];
      if (first && d.points.length >= 3) {
        const a = m.latLngToContainerPoint(L.latLng(first));
        if (a.distanceTo(e.containerPoint) <= CLOSE_PX) {
          set({ ...d, closed: true });
          return;
        }
      }
      set({ ...d, points: [...d.points, at] });
    });
    m.on('mousemove', (e: L.LeafletMouseEvent) => {
      const { draft: d, onDraft: set } = latest.current;
      if (d?.kind === 'circle' && d.center && !d.fixed) {
        set({ ...d, radius: Math.max(1, m.distance(L.latLng(d.center), e.latlng)) });
      }
    });
    m.on('dblclick', () => {
      const { draft: d, onDraft: set } = latest.current;
      if (d?.kind === 'polygon' && !d.closed && d.points.length >= 3) set({ ...d, closed: true });
    });
    return () => {
      cancel();
      centerRef.current = null;
      m.remove();
      map.current = null;
    };
  }, [centerRef]);

  // While drawing, a double click closes a polygon instead of zooming, and while a circle is sized
  // a drag sizes it instead of panning.
  useEffect(() => {
    const m = map.current;
    if (!m) return;
    if (draft) m.doubleClickZoom.disable();
    else m.doubleClickZoom.enable();
    if (draft?.kind === 'circle' && !draft.fixed) m.dragging.disable();
    else m.dragging.enable();
    container.current?.classList.toggle('drawing', draft !== null);
  }, [draft]);

  // The stored geofences, the selected one outlined more strongly.
  useEffect(() => {
    const m = map.current;
    const group = shapes.current;
    if (!m || !group) return;
    group.clearLayers();
    const bounds = L.latLngBounds([]);
    for (const g of geofences) {
      const shape = shapeOf(g);
      if (!shape) continue;
      const selected = g.id === selectedId;
      const style: L.PathOptions = {
        className: `geofence-shape${selected ? ' selected' : ''}`,
        weight: selected ? 4 : 2,
        color: selected ? '#b45309' : '#1d4ed8',
        fillOpacity: selected ? 0.25 : 0.12,
      };
      const layer = 'center' in shape ? L.circle(shape.center, { ...style, radius: shape.radius }) : L.polygon(shape.ring, style);
      layer.bindTooltip(textElement(g.name), { sticky: true });
      layer.on('click', (e) => {
        if (latest.current.draft) return; // drawing: the map's click places a point
        L.DomEvent.stopPropagation(e);
        latest.current.onSelect(g.id);
      });
      group.addLayer(layer);
      bounds.extend(layer.getBounds());
    }
    if (!fitted.current && bounds.isValid()) {
      fitted.current = true;
      m.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 });
    }
  }, [geofences, selectedId]);

  // A picked geofence comes into view.
  useEffect(() => {
    const m = map.current;
    const g = geofences.find((x) => x.id === selectedId);
    const shape = g && shapeOf(g);
    if (!m || !shape) return;
    const b = 'center' in shape ? L.latLng(shape.center).toBounds(Math.max(shape.radius * 2, 50)) : L.latLngBounds(shape.ring);
    if (!m.getBounds().contains(b)) m.fitBounds(b, { padding: [30, 30], maxZoom: 16 });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selectedId]);

  // The shape being drawn.
  useEffect(() => {
    const group = drawing.current;
    if (!group) return;
    group.clearLayers();
    if (!draft) return;
    const style: L.PathOptions = { className: 'geofence-draft', color: '#047857', weight: 3, dashArray: '6 4', fillOpacity: 0.15 };
    if (draft.kind === 'circle') {
      if (!draft.center) return;
      group.addLayer(L.circleMarker(draft.center, { ...style, radius: 4, dashArray: undefined }));
      if (draft.radius) group.addLayer(L.circle(draft.center, { ...style, radius: draft.radius, interactive: false }));
      return;
    }
    if (draft.points.length === 0) return;
    group.addLayer(
      draft.closed ? L.polygon(draft.points, { ...style, interactive: false }) : L.polyline(draft.points, { ...style, interactive: false }),
    );
    draft.points.forEach((p, i) =>
      group.addLayer(L.circleMarker(p, { ...style, radius: i === 0 ? 6 : 4, dashArray: undefined, className: `geofence-vertex${i === 0 ? ' first' : ''}` })),
    );
  }, [draft]);

  return <div ref={container} className="map geofence-map" role="region" aria-label={t('geofences.mapLabel')} />;
}
