// One vehicle's latest position, kept current by the live feed: GET /api/v1/positions/latest
// searched by the vehicle's name (the route has no id filter; the answer is then the few vehicles
// whose name contains it), then the WebSocket's positions of that vehicle.
import { useEffect, useState } from 'react';
import { api, isMissingRoute } from '../../api/client';
import type { VehiclePosition } from '../../api/types';
import { LiveFeed } from '../map/live';

export type Latest = { state: 'loading' } | { state: 'none' } | { state: 'unavailable' } | { state: 'known'; position: VehiclePosition };

export function useLatest(vehicleId: number, name: string | undefined, enabled: boolean): Latest {
  const [latest, setLatest] = useState<Latest>({ state: 'loading' });
  useEffect(() => {
    if (!enabled || name === undefined) return;
    let stopped = false;
    const q = new URLSearchParams({ q: name });
    api<{ items: VehiclePosition[] }>('GET', `/api/v1/positions/latest?${q}`).then(
      (answer) => {
        if (stopped) return;
        const mine = answer.items.find((p) => p.vehicle_id === vehicleId);
        setLatest((old) => (old.state === 'known' ? old : mine ? { state: 'known', position: mine } : { state: 'none' }));
      },
      (e: unknown) => {
        if (!stopped) setLatest({ state: isMissingRoute(e) ? 'unavailable' : 'none' });
      },
    );
    const feed = new LiveFeed(
      (p) => {
        if (p.vehicle_id !== vehicleId) return;
        setLatest((old) =>
          old.state === 'known' && Date.parse(old.position.time) > Date.parse(p.time) ? old : { state: 'known', position: p },
        );
      },
      () => undefined,
    );
    feed.start();
    return () => {
      stopped = true;
      feed.stop();
    };
  }, [vehicleId, name, enabled]);
  return enabled ? latest : { state: 'unavailable' };
}
