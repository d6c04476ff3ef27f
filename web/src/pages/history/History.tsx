// A vehicle's route over a day or a range of days (GET /api/v1/vehicles/{id}/positions): on the
// map coloured by speed, a timeline to scrub and play, the list of points, and the exports the
// server makes (GPX, GeoJSON, CSV). The days are the tenant's: a day runs from midnight to midnight
// in its time zone. The choice is in the address (?vehicle=&from=&to=), so it can be shared.
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { api, isMissingRoute } from '../../api/client';
import type { PositionHistory, Vehicle } from '../../api/types';
import { addDays, useFormats, wallClock, zonedTime } from '../../app/time';
import { errorText } from '../../components/errors';
import { Loading } from '../../components/Loading';
import { useAll } from '../../components/useList';
import { HistoryMap } from './HistoryMap';
import { PointList } from './PointList';
import { indexAt, SPEED_BANDS, summary } from './track';

const MAX_DAYS = 31; // the server's limit per request
const TICK_MS = 100;
const SPEEDS = [10, 60, 300, 1200] as const; // playback: seconds of route per second

export default function History() {
  const { t } = useTranslation();
  const formats = useFormats();
  const ids = { vehicle: useId(), search: useId(), from: useId(), to: useId(), time: useId(), speed: useId() };
  const [params, setParams] = useSearchParams();
  const today = wallClock(new Date(), formats.zone).date;
  const vehicleId = Number(params.get('vehicle') ?? '') || null;
  const fromDay = params.get('from') ?? today;
  const toDay = params.get('to') ?? fromDay;
  // `at` (an instant, from an event's link): the timeline starts at the point of that time.
  const at = Date.parse(params.get('at') ?? '');
  const [draft, setDraft] = useState({ vehicle: vehicleId ? String(vehicleId) : '', from: fromDay, to: toDay });
  const [search, setSearch] = useState('');
  const vehicles = useAll<Vehicle>('/api/v1/vehicles', { sort: 'name', archived: 'true', q: search.trim() });
  const [history, setHistory] = useState<PositionHistory | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const [index, setIndex] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState<number>(60);
  const [follow, setFollow] = useState(true);

  const range = useMemo(() => {
    const from = zonedTime(fromDay, '00:00', formats.zone);
    const to = zonedTime(addDays(toDay, 1), '00:00', formats.zone);
    return { from: from.toISOString(), to: to.toISOString() };
  }, [fromDay, toDay, formats.zone]);

  useEffect(() => {
    setHistory(null);
    setPlaying(false);
    setIndex(0);
    if (!vehicleId) return;
    const abort = new AbortController();
    const q = new URLSearchParams(range);
    setLoading(true);
    setError('');
    api<PositionHistory>('GET', `/api/v1/vehicles/${vehicleId}/positions?${q}`, { signal: abort.signal }).then(
      (h) => {
        setHistory(h);
        if (Number.isFinite(at)) setIndex(indexAt(h.positions.map((p) => Date.parse(p.time)), at));
        setLoading(false);
      },
      (e: unknown) => {
        if (abort.signal.aborted) return;
        setLoading(false);
        setError(isMissingRoute(e) ? t('history.unavailable') : errorText(t, e));
      },
    );
    return () => abort.abort();
  }, [vehicleId, range, at, t]);

  const points = useMemo(() => history?.positions ?? [], [history]);
  const times = useMemo(() => points.map((p) => Date.parse(p.time)), [points]);
  const facts = useMemo(() => summary(points), [points]);

  // Playback: the clock of the route advances `speed` seconds each second; the point shown is the
  // last one at or before it.
  const clock = useRef(0);
  useEffect(() => {
    if (!playing || times.length === 0) return;
    clock.current = times[index] ?? 0;
    const timer = setInterval(() => {
      clock.current += (speed * TICK_MS);
      const i = indexAt(times, clock.current);
      setIndex(i);
      if (i >= times.length - 1) setPlaying(false);
    }, TICK_MS);
    return () => clearInterval(timer);
    // Not on `index`: the timer itself moves it; a restart happens on play, speed or a new route.
  }, [playing, speed, times]);

  function show(e: FormEvent) {
    e.preventDefault();
    const from = draft.from;
    const to = draft.to < from ? from : draft.to;
    if (addDays(from, MAX_DAYS) <= to) {
      setError(t('history.tooLong', { count: MAX_DAYS }));
      return;
    }
    setParams({ vehicle: draft.vehicle, from, to });
  }

  const current = points[index];
  const exportUrl = (format: string) =>
    `/api/v1/vehicles/${vehicleId}/positions?${new URLSearchParams({ ...range, format })}`;

  return (
    <div className="history">
      <aside className="side history-side" aria-label={t('history.controls')}>
        <form className="side-tools" onSubmit={show}>
          <h1>{t('history.title')}</h1>
          <label htmlFor={ids.search}>{t('history.searchVehicle')}</label>
          <input id={ids.search} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
          <label htmlFor={ids.vehicle}>{t('history.vehicle')}</label>
          <select
            id={ids.vehicle}
            required
            value={draft.vehicle}
            onChange={(e) => setDraft({ ...draft, vehicle: e.target.value })}
          >
            <option value="" disabled>
              {t('common.choose')}
            </option>
            {vehicles.items.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
          <div className="two">
            <div>
              <label htmlFor={ids.from}>{t('history.from')}</label>
              <input
                id={ids.from}
                type="date"
                required
                max={today}
                value={draft.from}
                onChange={(e) => setDraft({ ...draft, from: e.target.value })}
              />
            </div>
            <div>
              <label htmlFor={ids.to}>{t('history.to')}</label>
              <input
                id={ids.to}
                type="date"
                required
                min={draft.from}
                value={draft.to}
                onChange={(e) => setDraft({ ...draft, to: e.target.value })}
              />
            </div>
          </div>
          <p className="help">{t('history.rangeHelp', { count: MAX_DAYS, zone: formats.zone })}</p>
          <button type="submit" className="primary">
            {t('history.show')}
          </button>
        </form>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {loading && <Loading />}
        {history && (
          <section className="route-facts" aria-labelledby="route-title">
            <h2 id="route-title">{history.vehicle_name}</h2>
            {points.length === 0 ? (
              <p role="status">{t('history.noPoints')}</p>
            ) : (
              <>
                <p role="status">
                  {t('history.summary', {
                    count: points.length,
                    km: formats.number(facts.metres / 1000, 1),
                    max: formats.number(facts.maxKmh),
                  })}
                </p>
                <ul className="legend" aria-label={t('history.legend')}>
                  {SPEED_BANDS.map((top, i) => (
                    <li key={top}>
                      <span className={`swatch band-${i}`} aria-hidden="true" />
                      {i === SPEED_BANDS.length - 1
                        ? t('history.bandOver', { from: SPEED_BANDS[i - 1] })
                        : t('history.band', { from: i === 0 ? 0 : SPEED_BANDS[i - 1], to: top })}
                    </li>
                  ))}
                </ul>
                <p className="exports">
                  <span>{t('history.export')}</span>
                  <a className="button" href={exportUrl('gpx')} download>
                    GPX
                  </a>
                  <a className="button" href={exportUrl('geojson')} download>
                    GeoJSON
                  </a>
                  <a className="button" href={exportUrl('csv')} download>
                    CSV
                  </a>
                </p>
              </>
            )}
          </section>
        )}
        {points.length > 0 && (
          <PointList points={points} index={index} onPick={(i) => { setPlaying(false); setIndex(i); }} formats={formats} />
        )}
      </aside>
      <div className="history-main">
        <HistoryMap points={points} index={index} follow={follow} />
        {points.length > 0 && current && (
          <div className="timeline">
            <button
              type="button"
              className="play"
              aria-pressed={playing}
              onClick={() => {
                if (!playing && index >= points.length - 1) setIndex(0);
                setPlaying(!playing);
              }}
            >
              {playing ? t('history.pause') : t('history.play')}
            </button>
            <div className="scrub">
              <label htmlFor={ids.time}>{t('history.timeline')}</label>
              <input
                id={ids.time}
                type="range"
                min={0}
                max={points.length - 1}
                step={1}
                value={index}
                aria-valuetext={`${formats.dateTime(current.time)}, ${t('map.speed', { speed: formats.number(current.speed_kmh) })}`}
                onChange={(e) => {
                  setPlaying(false);
                  setIndex(Number(e.target.value));
                }}
              />
            </div>
            <output htmlFor={ids.time} className="at" data-testid="timeline-at">
              {formats.dateTime(current.time)} · {t('map.speed', { speed: formats.number(current.speed_kmh) })}
            </output>
            <label htmlFor={ids.speed} className="visually-hidden">
              {t('history.playSpeed')}
            </label>
            <select id={ids.speed} value={speed} onChange={(e) => setSpeed(Number(e.target.value))}>
              {SPEEDS.map((s) => (
                <option key={s} value={s}>
                  ×{s}
                </option>
              ))}
            </select>
            <label className="checkbox">
              <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
              {t('history.follow')}
            </label>
          </div>
        )}
      </div>
    </div>
  );
}
