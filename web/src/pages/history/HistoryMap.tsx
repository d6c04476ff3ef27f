// The route on the map: lines coloured by speed (drawn on a canvas, so a day of points stays
// light), the start and the end, and the arrow of the point the timeline is at.
import L from 'leaflet';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Position } from '../../api/types';
import { arrowElement, baseMap } from '../map/base';
import { runs } from './track';

const BAND_COLOURS = ['#2563eb', '#15803d', '#c27803', '#dc2626'];

export function HistoryMap({ points, index, follow }: { points: Position[]; index: number; follow: boolean }) {
  const { t } = useTranslation();
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const route = useRef<L.LayerGroup | null>(null);
  const cursor = useRef<L.Marker | null>(null);

  useEffect(() => {
    if (!container.current) return;
    const { map: m, cancel } = baseMap(container.current, { preferCanvas: true });
    map.current = m;
    route.current = L.layerGroup().addTo(m);
    return () => {
      cancel();
      m.remove();
      map.current = null;
      route.current = null;
      cursor.current = null;
    };
  }, []);

  useEffect(() => {
    const m = map.current;
    const group = route.current;
    if (!m || !group) return;
    group.clearLayers();
    cursor.current = null;
    if (points.length === 0) return;
    const renderer = L.canvas();
    for (const run of runs(points)) {
      L.polyline(run.latlngs, { color: BAND_COLOURS[run.band], weight: 5, opacity: 0.9, renderer }).addTo(group);
    }
    const first = points[0]!;
    const last = points.at(-1)!;
    const end = (p: Position, label: string, className: string) =>
      L.circleMarker([p.lat, p.lon], { radius: 7, className, renderer, fillOpacity: 1 })
        .bindTooltip(label)
        .addTo(group);
    end(first, t('history.start'), 'route-start');
    end(last, t('history.end'), 'route-end');
    m.fitBounds(L.latLngBounds(points.map((p) => [p.lat, p.lon] as L.LatLngTuple)), { padding: [30, 30], maxZoom: 16 });
  }, [points, t]);

  useEffect(() => {
    const m = map.current;
    const group = route.current;
    const p = points[index];
    if (!m || !group || !p) return;
    const icon = L.divIcon({ className: 'vm', html: arrowElement(p.course, 'vm-cursor'), iconSize: [28, 28] });
    if (!cursor.current) {
      cursor.current = L.marker([p.lat, p.lon], { icon, keyboard: false, zIndexOffset: 1000, title: t('history.cursor') }).addTo(group);
    } else {
      cursor.current.setLatLng([p.lat, p.lon]).setIcon(icon);
    }
    if (follow && !m.getBounds().pad(-0.1).contains([p.lat, p.lon])) m.panTo([p.lat, p.lon], { animate: false });
  }, [points, index, follow, t]);

  return <div ref={container} className="map history-map" role="region" aria-label={t('history.mapLabel')} />;
}
