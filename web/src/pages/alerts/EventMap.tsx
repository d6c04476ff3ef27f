// A small map of one event's place: a circle marker at its position (the tiles of /config.json).
import L from 'leaflet';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { baseMap } from '../map/base';

export function EventMap({ lat, lon, label }: { lat: number; lon: number; label: string }) {
  const { t } = useTranslation();
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const marker = useRef<L.CircleMarker | null>(null);

  useEffect(() => {
    if (!container.current) return;
    const { map: m, cancel } = baseMap(container.current, { zoomControl: true });
    map.current = m;
    return () => {
      cancel();
      m.remove();
      map.current = null;
      marker.current = null;
    };
  }, []);

  useEffect(() => {
    const m = map.current;
    if (!m) return;
    marker.current?.remove();
    // The label reaches Leaflet as a tooltip's text node, never as HTML.
    const tip = document.createElement('span');
    tip.textContent = label;
    marker.current = L.circleMarker([lat, lon], { radius: 8, className: 'event-marker', fillOpacity: 0.9 })
      .bindTooltip(tip)
      .addTo(m);
    m.setView([lat, lon], 15);
  }, [lat, lon, label]);

  return <div ref={container} className="map event-map" role="region" aria-label={t('alerts.mapLabel')} />;
}
