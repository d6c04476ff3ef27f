// The live map: every vehicle the user may see at its latest position (GET
// /api/v1/positions/latest), kept current by the live WebSocket; a side list to search, filter by
// status or group and pick a vehicle, which the map then follows. A chosen group asks for
// /api/v1/positions/latest?group_id=N and keeps only that answer's vehicles from the live feed;
// a live report from a vehicle outside the answer asks again — at once for a vehicle not seen yet
// (a new member reporting for the first time), every GROUP_RECHECK_MS for the others (one that
// joined the group later) — so members appear without choosing the group again. Vehicles that never
// reported (GET /api/v1/vehicles, the same group) are listed with the status "no data".
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { api, isMissingRoute } from '../../api/client';
import type { Group, VehiclePosition as Position, Vehicle } from '../../api/types';
import { roleMayUse, useCanCall } from '../../app/access';
import { useUser } from '../../app/auth';
import { useFormats } from '../../app/time';
import { errorText } from '../../components/errors';
import { useAll } from '../../components/useList';
import { LiveFeed, type FeedState } from './live';
import { MapView } from './MapView';
import { STATUSES, statusOf, type Status } from './status';
import { VehicleList, type Row } from './VehicleList';

// Positions arriving over the socket are applied together at most this often: with thousands of
// vehicles one render per message would be too many.
const FLUSH_MS = 300;
// How often ages ("2 min ago") and the offline status are recomputed.
const TICK_MS = 15_000;
// With a group chosen, a report from a vehicle not in its answer asks for the group again: at once
// (at most every GROUP_NEW_MS) for a vehicle not seen yet, at most every GROUP_RECHECK_MS otherwise.
const GROUP_NEW_MS = 2_000;
const GROUP_RECHECK_MS = 60_000;

export default function LiveMap() {
  const { t, i18n } = useTranslation();
  const formats = useFormats();
  const searchId = useId();
  const statusId = useId();
  const groupId = useId();
  const canCall = useCanCall();
  // The vehicle page (the fleet register) is not a driver's: a driver gets the map and the history.
  const details = roleMayUse(useUser().role, 'fleet.read');
  const groups = useAll<Group>(canCall('GET /api/v1/groups') ? '/api/v1/groups' : null, { sort: 'name' });
  const [groupFilter, setGroupFilter] = useState('');
  // The vehicles (of the group), for those that never reported: they have no latest position.
  const vehicles = useAll<Vehicle>(canCall('GET /api/v1/vehicles') ? '/api/v1/vehicles' : null, { sort: 'name', group_id: groupFilter });
  const reloadVehicles = vehicles.reload;
  const lastRecheck = useRef(0);
  // Vehicles that reported while outside the chosen group's answer (already asked about).
  const outsiders = useRef(new Set<number>());
  const recheckTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // The group whose vehicles are shown ('' for all), read by the loader and the live feed without
  // restarting the socket; `loads` drops an answer that a newer choice has overtaken.
  const group = useRef('');
  const loads = useRef(0);
  const store = useRef(new Map<number, Position>());
  const pending = useRef(new Map<number, Position>());
  const flushTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const [positions, setPositions] = useState<Position[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [problem, setProblem] = useState('');
  const [feed, setFeed] = useState<FeedState>('connecting');
  const [now, setNow] = useState(() => Date.now());
  const [query, setQuery] = useState('');
  const [statusFilter, setStatusFilter] = useState<Status | ''>('');
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [follow, setFollow] = useState(true);
  const [focusRequest, setFocusRequest] = useState(0);

  const statusLabel = useCallback((s: Status) => t(`status.${s}`), [t]);

  const publish = useCallback(() => setPositions([...store.current.values()]), []);

  const loadLatest = useCallback(async () => {
    try {
      const chosen = group.current;
      const load = ++loads.current;
      const page = await api<{ items: Position[] }>(
        'GET',
        chosen ? `/api/v1/positions/latest?group_id=${encodeURIComponent(chosen)}` : '/api/v1/positions/latest',
      );
      if (load !== loads.current) return;
      pending.current.clear();
      store.current = new Map(page.items.map((p) => [p.vehicle_id, p]));
      publish();
      setProblem('');
    } catch (e) {
      setProblem(isMissingRoute(e) ? t('map.unavailable') : errorText(t, e));
    } finally {
      setLoaded(true);
    }
  }, [publish, t]);

  useEffect(() => {
    void loadLatest();
    const flush = () => {
      flushTimer.current = undefined;
      let outside = false;
      let fresh = false;
      for (const [id, p] of pending.current) {
        const known = store.current.get(id);
        // With a group chosen, only the vehicles of its answer: the others' messages are ignored
        // (and the group is asked for again: the vehicle may have joined it).
        if (!known && group.current) {
          outside = true;
          if (!outsiders.current.has(id)) {
            fresh = true;
            outsiders.current.add(id); // a recheck is on its way
          }
          continue;
        }
        if (!known || Date.parse(known.time) <= Date.parse(p.time)) store.current.set(id, p);
      }
      pending.current.clear();
      publish();
      const since = Date.now() - lastRecheck.current;
      if ((fresh || (outside && since > GROUP_RECHECK_MS)) && recheckTimer.current === undefined) {
        recheckTimer.current = setTimeout(
          () => {
            recheckTimer.current = undefined;
            lastRecheck.current = Date.now();
            void loadLatest();
            reloadVehicles();
          },
          Math.max(0, GROUP_NEW_MS - since),
        );
      }
    };
    const live = new LiveFeed(
      (p) => {
        pending.current.set(p.vehicle_id, p);
        flushTimer.current ??= setTimeout(flush, FLUSH_MS);
      },
      (state, reconnected) => {
        setFeed(state);
        // What happened while the socket was down is not replayed: ask for the latest again.
        if (reconnected) void loadLatest();
        // A refused upgrade does not say why: if the session ended, /me answers 401 and the
        // application goes back to sign-in.
        if (state === 'reconnecting') api('GET', '/api/v1/me').catch(() => undefined);
      },
    );
    live.start();
    const tick = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => {
      live.stop();
      clearInterval(tick);
      clearTimeout(flushTimer.current);
      clearTimeout(recheckTimer.current);
      recheckTimer.current = undefined;
    };
  }, [loadLatest, publish, reloadVehicles]);

  const chooseGroup = (value: string) => {
    group.current = value;
    outsiders.current.clear();
    setGroupFilter(value);
    void loadLatest();
  };

  const rows = useMemo(() => {
    const needle = query.trim().toLocaleLowerCase(i18n.resolvedLanguage);
    const collator = new Intl.Collator(i18n.resolvedLanguage, { numeric: true, sensitivity: 'base' });
    const all: Row[] = positions.map((position) => ({
      id: position.vehicle_id,
      name: position.vehicle_name,
      position,
      status: statusOf(position, now),
    }));
    const reported = new Set(all.map((r) => r.id));
    // Only once the positions are in: until then every vehicle would look silent.
    if (loaded && !problem && vehicles.page) {
      for (const v of vehicles.page.items) {
        if (!reported.has(v.id)) all.push({ id: v.id, name: v.name, position: null, status: 'nodata' });
      }
    }
    return all
      .filter(
        (r) =>
          (!statusFilter || r.status === statusFilter) &&
          (!needle ||
            r.name.toLocaleLowerCase(i18n.resolvedLanguage).includes(needle) ||
            (r.position !== null && String(r.position.device_id).includes(needle))),
      )
      .sort((a, b) => collator.compare(a.name, b.name));
  }, [positions, vehicles.page, loaded, problem, now, query, statusFilter, i18n.resolvedLanguage]);

  const selected = selectedId === null ? undefined : positions.find((p) => p.vehicle_id === selectedId);
  const silent = selected || selectedId === null ? undefined : vehicles.items.find((v) => v.id === selectedId);

  const select = useCallback((id: number) => {
    setSelectedId(id);
    setFocusRequest((n) => n + 1);
  }, []);

  return (
    <div className="live-map">
      <aside className="side" aria-label={t('map.sideLabel')}>
        <div className="side-tools">
          <h1>{t('map.title')}</h1>
          <p className={`feed feed-${feed}`} role="status">
            {t(`map.feed.${feed}`)}
          </p>
          <label htmlFor={searchId}>{t('map.search')}</label>
          <input id={searchId} type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
          <label htmlFor={statusId}>{t('map.statusFilter')}</label>
          <select id={statusId} value={statusFilter} onChange={(e) => setStatusFilter(e.target.value as Status | '')}>
            <option value="">{t('map.allStatuses')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
          {groups.items.length > 0 && (
            <>
              <label htmlFor={groupId}>{t('map.groupFilter')}</label>
              <select
                id={groupId}
                value={groupFilter}
                onChange={(e) => chooseGroup(e.target.value)}
                // Coming to choose again asks again: the groups (made or renamed since), and the
                // chosen group's members (joined since).
                onFocus={() => {
                  groups.reload();
                  if (group.current) {
                    void loadLatest();
                    reloadVehicles();
                  }
                }}
              >
                <option value="">{t('map.allGroups')}</option>
                {groups.items.map((g) => (
                  <option key={g.id} value={String(g.id)}>
                    {g.name}
                  </option>
                ))}
              </select>
            </>
          )}
          <p className="count" aria-live="polite">
            {t('map.count', { count: rows.length })}
          </p>
        </div>
        {problem && (
          <p className="error" role="alert">
            {problem}
          </p>
        )}
        {loaded && !problem && (
          <VehicleList
            rows={rows}
            now={now}
            selectedId={selectedId}
            onSelect={select}
            statusLabel={statusLabel}
          />
        )}
        {selected && (
          <section className="selected" aria-labelledby="selected-name">
            <h2 id="selected-name">{selected.vehicle_name}</h2>
            <dl className="facts">
              <dt>{t('map.status')}</dt>
              <dd>{statusLabel(statusOf(selected, now))}</dd>
              <dt>{t('map.lastPosition')}</dt>
              <dd>{formats.dateTime(selected.time)}</dd>
              <dt>{t('map.speedLabel')}</dt>
              <dd>{t('map.speed', { speed: Math.round(selected.speed_kmh) })}</dd>
              <dt>{t('map.heading')}</dt>
              <dd>{Math.round(selected.course)}°</dd>
            </dl>
            <label className="checkbox">
              <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
              {t('map.follow')}
            </label>
            <p>
              {details && (
                <>
                  <Link to={`/vehicles/${selected.vehicle_id}`}>{t('map.details')}</Link>
                  {' · '}
                </>
              )}
              <Link to={`/history?vehicle=${selected.vehicle_id}`}>{t('vehicle.history')}</Link>
            </p>
            <button type="button" className="link" onClick={() => setSelectedId(null)}>
              {t('map.deselect')}
            </button>
          </section>
        )}
        {silent && (
          <section className="selected" aria-labelledby="selected-name">
            <h2 id="selected-name">{silent.name}</h2>
            <p>{t('map.neverReported')}</p>
            {details && (
              <p>
                <Link to={`/vehicles/${silent.id}`}>{t('map.details')}</Link>
              </p>
            )}
            <button type="button" className="link" onClick={() => setSelectedId(null)}>
              {t('map.deselect')}
            </button>
          </section>
        )}
      </aside>
      <MapView
        positions={positions}
        now={now}
        selectedId={selectedId}
        follow={follow && selectedId !== null}
        focusRequest={focusRequest}
        onSelect={select}
        statusLabel={statusLabel}
      />
    </div>
  );
}
