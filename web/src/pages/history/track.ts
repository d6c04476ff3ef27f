// What the history page computes from a route: speed bands for the colours, distance, and which
// point is at a given time during playback.
import type { Position } from '../../api/types';

// Upper bounds in km/h of each colour band (the legend says them in words).
export const SPEED_BANDS = [10, 50, 90, Infinity] as const;

export function bandOf(speedKmh: number): number {
  return SPEED_BANDS.findIndex((top) => speedKmh < top);
}

// Consecutive points of the same band, as one line each (a route of thousands of points becomes a
// few hundred lines). Each run starts at the previous run's last point, so the line is unbroken.
export function runs(points: readonly Position[]): { band: number; latlngs: [number, number][] }[] {
  const out: { band: number; latlngs: [number, number][] }[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const band = bandOf(p.speed_kmh);
    const last = out.at(-1);
    if (last && last.band === band) {
      last.latlngs.push([p.lat, p.lon]);
    } else {
      const prev = points[i - 1];
      out.push({ band, latlngs: prev ? [[prev.lat, prev.lon], [p.lat, p.lon]] : [[p.lat, p.lon]] });
    }
  }
  return out;
}

const EARTH_M = 6_371_008.8;

export function metresBetween(a: Position, b: Position): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function summary(points: readonly Position[]) {
  let metres = 0;
  let maxKmh = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (i > 0 && p.valid && points[i - 1]!.valid) metres += metresBetween(points[i - 1]!, p);
    maxKmh = Math.max(maxKmh, p.speed_kmh);
  }
  const first = points[0];
  const last = points.at(-1);
  const seconds = first && last ? (Date.parse(last.time) - Date.parse(first.time)) / 1000 : 0;
  return { metres, maxKmh, seconds };
}

// The index of the last point at or before `time` (ms), by binary search: points are in time order.
export function indexAt(times: readonly number[], time: number): number {
  let lo = 0;
  let hi = times.length - 1;
  if (hi < 0 || time < times[0]!) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid]! <= time) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
