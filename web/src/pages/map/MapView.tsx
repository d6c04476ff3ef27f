// The map: Leaflet (plain DOM, no WebGL) with the configured tiles, a marker per vehicle showing its
// heading and status colour, and clusters at low zoom (supercluster: only what is in view is in the
// DOM, so thousands of vehicles stay smooth). Without tiles (offline, or none configured) the
// markers draw on a plain background.
import L from 'leaflet';
import Supercluster, { type ClusterProperties } from 'supercluster';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { VehiclePosition } from '../../api/types';
import { arrowElement, baseMap } from './base';
import { statusOf, type Status } from './status';

// From this zoom on every vehicle has its own marker.
const CLUSTER_MAX_ZOOM = 14;
const CLUSTER_RADIUS_PX = 60;
const SELECT_ZOOM = 16;

interface Props {
  positions: VehiclePosition[];
  now: number;
  selectedId: number | null;
  follow: boolean;
  // Bumped by the list when the user picks a vehicle: centre on it even if it did not move.
  focusRequest: number;
  onSelect: (id: number) => void;
  statusLabel: (s: Status) => string;
}

type VehicleProps = { id: number };

function vehicleElement(course: number, status: Status, selected: boolean): HTMLElement {
  return arrowElement(course, `vm-${status}${selected ? ' vm-selected' : ''}`);
}

function clusterElement(count: number): HTMLElement {
  const el = document.createElement('div');
  el.className = 'vm-cluster-body';
  el.textContent = count >= 1000 ? `${Math.floor(count / 1000)}k` : String(count);
  return el;
}

export function MapView({ positions, now, selectedId, follow, focusRequest, onSelect, statusLabel }: Props) {
  const { t } = useTranslation();
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const layer = useRef<L.LayerGroup | null>(null);
  const markers = useRef(new Map<string, { marker: L.Marker; signature: string }>());
  const index = useRef<Supercluster<VehicleProps> | null>(null);
  const byId = useRef(new Map<number, VehiclePosition>());
  const fitted = useRef(false);
  const zooming = useRef(false);
  const afterZoom = useRef<(() => void) | null>(null);
  // The latest props for Leaflet's event handlers, which are bound once.
  const latest = useRef({ now, selectedId, onSelect, statusLabel, t });
  latest.current = { now, selectedId, onSelect, statusLabel, t };

  // Draws what is in view: clusters and vehicles, reusing the markers that did not change.
  const draw = useRef(() => {});
  draw.current = () => {
    const m = map.current;
    const group = layer.current;
    if (!m || !group || !index.current) return;
    const b = m.getBounds();
    const zoom = Math.round(m.getZoom());
    const features = index.current.getClusters([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], zoom);
    const seen = new Set<string>();
    const { now: at, selectedId: selected, statusLabel: label, t: tr } = latest.current;
    for (const f of features) {
      const [lon, lat] = f.geometry.coordinates as [number, number];
      const props = f.properties as ClusterProperties | VehicleProps;
      let key: string;
      let signature: string;
      let build: () => L.Marker;
      if ('cluster' in props && props.cluster) {
        const clusterId = props.cluster_id;
        key = `c${clusterId}:${props.point_count}:${lat.toFixed(5)},${lon.toFixed(5)}`;
        signature = key;
        build = () => {
          const marker = L.marker([lat, lon], {
            icon: L.divIcon({ className: 'vm-cluster', html: clusterElement(props.point_count), iconSize: [40, 40] }),
            title: tr('map.cluster', { count: props.point_count }),
            keyboard: true,
          });
          marker.on('click', () => {
            const z = index.current?.getClusterExpansionZoom(clusterId) ?? zoom + 2;
            m.setView([lat, lon], Math.min(z, CLUSTER_MAX_ZOOM + 1));
          });
          return marker;
        };
      } else {
        const p = byId.current.get((props as VehicleProps).id);
        if (!p) continue;
        key = `v${p.vehicle_id}`;
        const status = statusOf(p, at);
        const isSelected = p.vehicle_id === selected;
        signature = `${p.lat},${p.lon},${p.course},${status},${isSelected},${p.vehicle_name}`;
        build = () => {
          const marker = L.marker([p.lat, p.lon], {
            icon: L.divIcon({
              className: 'vm',
              html: vehicleElement(p.course, status, isSelected),
              iconSize: [28, 28],
            }),
            title: `${p.vehicle_name} — ${label(status)}`, // set as an attribute: text, never HTML
            keyboard: true,
            zIndexOffset: isSelected ? 1000 : 0,
          });
          marker.on('click', () => latest.current.onSelect(p.vehicle_id));
          return marker;
        };
      }
      seen.add(key);
      const existing = markers.current.get(key);
      if (existing && existing.signature === signature) continue;
      if (existing) group.removeLayer(existing.marker);
      const marker = build();
      group.addLayer(marker);
      markers.current.set(key, { marker, signature });
    }
    for (const [key, { marker }] of markers.current) {
      if (!seen.has(key)) {
        group.removeLayer(marker);
        markers.current.delete(key);
      }
    }
  };

  useEffect(() => {
    if (!container.current) return;
    const { map: m, cancel } = baseMap(container.current);
    map.current = m;
    layer.current = L.layerGroup().addTo(m);
    const redraw = () => draw.current();
    m.on('moveend', redraw);
    m.on('zoomstart', () => {
      zooming.current = true;
    });
    m.on('zoomend', () => {
      zooming.current = false;
      const move = afterZoom.current;
      afterZoom.current = null;
      move?.();
    });
    const markerMap = markers.current;
    return () => {
      cancel();
      m.off('moveend', redraw);
      m.remove();
      markerMap.clear();
      map.current = null;
      layer.current = null;
    };
  }, []);

  // New positions: rebuild the cluster index (a few ms for thousands) and redraw.
  useEffect(() => {
    byId.current = new Map(positions.map((p) => [p.vehicle_id, p]));
    const cluster = new Supercluster<VehicleProps>({ radius: CLUSTER_RADIUS_PX, maxZoom: CLUSTER_MAX_ZOOM });
    cluster.load(
      positions.map((p) => ({
        type: 'Feature' as const,
        properties: { id: p.vehicle_id },
        geometry: { type: 'Point' as const, coordinates: [p.lon, p.lat] },
      })),
    );
    index.current = cluster;
    const m = map.current;
    if (m && !fitted.current && positions.length > 0) {
      fitted.current = true;
      const bounds = L.latLngBounds(positions.map((p) => [p.lat, p.lon] as L.LatLngTuple));
      m.fitBounds(bounds, { padding: [40, 40], maxZoom: SELECT_ZOOM });
    }
    draw.current();
  }, [positions, now, selectedId]);

  // A pick from the list centres on the vehicle (close enough to leave its cluster); while it is
  // followed, each move pans the map. One call per change: a pan started on top of another one
  // in the same frame is lost.
  // Leaflet drops a view change asked for during a zoom animation, so one asked for then waits for
  // the animation's end.
  const selected = selectedId === null ? undefined : positions.find((p) => p.vehicle_id === selectedId);
  const handledFocus = useRef(0);
  useEffect(() => {
    const m = map.current;
    if (!m || !selected) return;
    const target: L.LatLngTuple = [selected.lat, selected.lon];
    let move: (() => void) | null = null;
    if (focusRequest !== handledFocus.current) {
      handledFocus.current = focusRequest;
      move = () => m.setView(target, Math.max(m.getZoom(), SELECT_ZOOM));
    } else if (follow) {
      move = () => m.panTo(target);
    }
    if (!move) return;
    if (zooming.current) afterZoom.current = move;
    else move();
  }, [focusRequest, follow, selected?.lat, selected?.lon]);

  return <div ref={container} className="map" role="region" aria-label={t('map.mapLabel')} />;
}
