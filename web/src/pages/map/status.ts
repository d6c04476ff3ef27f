// A vehicle's status on the map, from its latest position. One rule, used by the markers, the
// list and its filter.
import type { Position } from '../../api/types';

// 'nodata': a vehicle that never reported (no position: in the list, not on the map).
export type Status = 'alarm' | 'offline' | 'moving' | 'ignition' | 'stopped' | 'nodata';
export const STATUSES: readonly Status[] = ['moving', 'ignition', 'stopped', 'offline', 'alarm', 'nodata'];

// No position for this long: the device is offline (trackers report every few seconds to minutes).
export const OFFLINE_AFTER_MS = 15 * 60 * 1000;
// Below this speed GPS noise is not movement.
export const MOVING_KMH = 3;

export function statusOf(p: Position, now: number): Status {
  if (typeof p.attributes.alarm === 'string' && p.attributes.alarm !== '') return 'alarm';
  if (now - Date.parse(p.time) > OFFLINE_AFTER_MS) return 'offline';
  if (p.speed_kmh >= MOVING_KMH) return 'moving';
  if (p.attributes.ignition === true) return 'ignition';
  return 'stopped';
}
