// Reports (GET /api/v1/reports/{report}): a report, the vehicles (one, a group, a driver's) and whole
// local days in the tenant's time zone (the server reads `from`/`to` dates as that zone's days,
// `to` included). The choice is kept in the address so it can be shared. The server pages; this
// page reads up to 1,000 rows at a time and sorts and pages them here (the report routes have no
// sort of their own), so a sort covers the whole report up to 1,000 rows — beyond that, the rows
// read. A chart where it says more than the table (distance per day, the eco ranking,
// utilisation); CSV and XLSX exports are downloads of the same query; schedules below.
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import { api, isMissingRoute } from '../../api/client';
import type { Driver, Group, Vehicle } from '../../api/types';
import { addDays, useFormats, wallClock, type Formats } from '../../app/time';
import { errorText } from '../../components/errors';
import { ListBody, Pager, SortHeader } from '../../components/ListParts';
import { useAll } from '../../components/useList';
import { typeLabel } from '../alerts/eventText';
import { EVENT_TYPES } from '../alerts/types';
import { BarChart, type Bar } from './BarChart';
import { cellText, COLUMNS, compareRows, REPORTS, type ReportKind, type Row } from './columns';
import { Schedules } from './Schedules';

const CHUNK = 1000; // rows read per request (the server's largest page)
const PAGE = 50; // rows shown per page
const MAX_DAYS = 366; // the server's longest range
const MAX_EXPORT_ROWS = 25_000; // the server's largest export (more: 400 report-too-large)

interface ReportAnswer {
  report: string;
  time_zone: string;
  from?: string;
  to?: string;
  date?: string;
  items: Row[];
  total: number;
  limit: number;
  offset: number;
}

// The query of the address, completed with defaults: the last seven days to today.
function queryOf(params: URLSearchParams, today: string): Record<string, string> {
  const report = (REPORTS as readonly string[]).includes(params.get('report') ?? '') ? params.get('report')! : 'trips';
  const q: Record<string, string> = {
    report,
    from: params.get('from') || addDays(today, -6),
    to: params.get('to') || today,
  };
  for (const k of ['vehicle_id', 'group_id', 'driver_id', 'geofence_id', 'by', 'type', 'acknowledged']) {
    const v = params.get(k);
    if (v) q[k] = v;
  }
  return q;
}

// The server's parameters for a query: the report's own ones only (others are refused with 400).
export function reportParams(q: Record<string, string>): URLSearchParams {
  const out = new URLSearchParams();
  const report = q.report as ReportKind;
  if (report !== 'maintenance') {
    out.set('from', q.from ?? '');
    out.set('to', q.to ?? '');
  }
  for (const k of ['vehicle_id', 'group_id', 'driver_id']) if (q[k]) out.set(k, q[k]!);
  if (report === 'eco' && q.by) out.set('by', q.by);
  if (report === 'geofence-visits' && q.geofence_id) out.set('geofence_id', q.geofence_id);
  if (report === 'events') {
    if (q.type) out.set('type', q.type);
    if (q.acknowledged) out.set('acknowledged', q.acknowledged);
  }
  return out;
}

function chartOf(report: ReportKind, rows: Row[], t: (k: string) => string, f: Formats): { title: string; bars: Bar[]; format: (v: number) => string; max?: number } | null {
  if (report === 'summary') {
    const perDay = new Map<string, number>();
    for (const r of rows) perDay.set(String(r.date), (perDay.get(String(r.date)) ?? 0) + Number(r.distance_m ?? 0));
    const bars = [...perDay].sort(([a], [b]) => a.localeCompare(b)).map(([day, m]) => ({ label: f.date(day), value: m / 1000 }));
    return { title: t('reports.chart.distancePerDay'), bars, format: (v) => `${f.number(v, 1)} km` };
  }
  if (report === 'eco') {
    const bars = rows
      .filter((r) => typeof r.eco_score === 'number')
      .slice(0, 20)
      .map((r) => ({ label: String(r.driver_name ?? r.vehicle_name ?? ''), value: Number(r.eco_score) }));
    return { title: t('reports.chart.ecoRanking'), bars, format: (v) => f.number(v, 0), max: 100 };
  }
  if (report === 'utilisation') {
    const bars = rows.slice(0, 30).map((r) => ({ label: String(r.vehicle_name ?? ''), value: Number(r.used_share ?? 0) * 100 }));
    return { title: t('reports.chart.utilisation'), bars, format: (v) => `${f.number(v, 0)} %`, max: 100 };
  }
  return null;
}

export default function Reports() {
  const { t, i18n } = useTranslation();
  const formats = useFormats();
  const id = useId();
  const today = wallClock(new Date(), formats.zone).date;
  const [params, setParams] = useSearchParams();
  const query = useMemo(() => queryOf(params, today), [params, today]);
  const report = query.report as ReportKind;
  const [draft, setDraft] = useState(query);
  const [chunk, setChunk] = useState(0);
  const [local, setLocal] = useState(0);
  const [sort, setSort] = useState('');
  const [answer, setAnswer] = useState<ReportAnswer | null>(null);
  const [error, setError] = useState('');
  const [generation, setGeneration] = useState(0); // "Show" asks again even for the same query
  const vehicles = useAll<Vehicle>('/api/v1/vehicles', { sort: 'name' });
  const groups = useAll<Group>('/api/v1/groups', { sort: 'name' });
  const drivers = useAll<Driver>('/api/v1/drivers', { sort: 'name' });
  // Geofences come with their own routes; a server without them offers no geofence filter.
  const geofences = useAll<{ id: number; name: string }>(draft.report === 'geofence-visits' ? '/api/v1/geofences' : null, { sort: 'name' });

  useEffect(() => setDraft(query), [query]);

  const serverQuery = reportParams(query).toString();
  useEffect(() => {
    const abort = new AbortController();
    const q = new URLSearchParams(serverQuery);
    q.set('limit', String(CHUNK));
    q.set('offset', String(chunk * CHUNK));
    setAnswer(null);
    setError('');
    api<ReportAnswer>('GET', `/api/v1/reports/${report}?${q}`, { signal: abort.signal }).then(
      (a) => setAnswer(a),
      (e: unknown) => {
        if (!abort.signal.aborted) setError(isMissingRoute(e) ? t('common.notOnThisServer') : errorText(t, e));
      },
    );
    return () => abort.abort();
  }, [report, serverQuery, chunk, generation, t]);

  const rows = useMemo(() => {
    const items = (answer?.items ?? []).map((r) =>
      report === 'eco' ? { ...r, name: r.driver_name ?? r.vehicle_name ?? '' } : r,
    );
    if (!sort) return items;
    const key = sort.replace(/^-/, '');
    const collator = new Intl.Collator(i18n.resolvedLanguage, { numeric: true, sensitivity: 'base' });
    return [...items].sort((a, b) => compareRows(a, b, key, collator, sort.startsWith('-')));
  }, [answer, sort, report, i18n.resolvedLanguage]);

  function show(e: FormEvent) {
    e.preventDefault();
    const from = draft.from ?? today;
    const to = (draft.to ?? today) < from ? from : draft.to ?? today;
    if (addDays(from, MAX_DAYS) <= to) {
      setError(t('reports.tooLong', { count: MAX_DAYS }));
      return;
    }
    const next: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...draft, from, to })) if (v) next[k] = v;
    setParams(next);
    setGeneration((g) => g + 1);
    setChunk(0);
    setLocal(0);
    setSort('');
  }

  const set = (k: string, v: string) => setDraft((d) => ({ ...d, [k]: v }));
  const select = (k: string, label: string, options: { value: string | number; label: string }[], all: string) => (
    <div>
      <label htmlFor={`${id}-${k}`}>{label}</label>
      <select id={`${id}-${k}`} value={draft[k] ?? ''} onChange={(e) => set(k, e.target.value)}>
        <option value="">{all}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );

  const exportUrl = (format: string) => `/api/v1/reports/${report}?${serverQuery}&format=${format}`;
  const chart = answer ? chartOf(report, rows, t, formats) : null;
  const columns = COLUMNS[report];
  const shownPage = answer && {
    items: rows.slice(local, local + PAGE),
    total: rows.length,
    limit: PAGE,
    offset: local,
  };

  return (
    <div className="page reports">
      <h1>{t('nav.reports')}</h1>
      <form className="toolbar filters" onSubmit={show} aria-label={t('reports.choice')}>
        <div>
          <label htmlFor={`${id}-report`}>{t('reports.report')}</label>
          <select id={`${id}-report`} value={draft.report} onChange={(e) => set('report', e.target.value)}>
            {REPORTS.map((r) => (
              <option key={r} value={r}>
                {t(`reports.kind.${r}`)}
              </option>
            ))}
          </select>
        </div>
        {draft.report !== 'maintenance' && (
          <>
            <div>
              <label htmlFor={`${id}-from`}>{t('reports.from')}</label>
              <input id={`${id}-from`} type="date" required value={draft.from ?? ''} onChange={(e) => set('from', e.target.value)} />
            </div>
            <div>
              <label htmlFor={`${id}-to`}>{t('reports.to')}</label>
              <input id={`${id}-to`} type="date" required value={draft.to ?? ''} onChange={(e) => set('to', e.target.value)} />
            </div>
          </>
        )}
        {select('vehicle_id', t('reports.vehicle'), vehicles.items.map((v) => ({ value: v.id, label: v.name })), t('reports.allVehicles'))}
        {groups.items.length > 0 &&
          select('group_id', t('reports.group'), groups.items.map((g) => ({ value: g.id, label: g.name })), t('reports.allGroups'))}
        {drivers.items.length > 0 &&
          select('driver_id', t('reports.driver'), drivers.items.map((d) => ({ value: d.id, label: d.name })), t('reports.allDrivers'))}
        {draft.report === 'eco' && (
          <div>
            <label htmlFor={`${id}-by`}>{t('reports.rankBy')}</label>
            <select id={`${id}-by`} value={draft.by ?? 'driver'} onChange={(e) => set('by', e.target.value)}>
              <option value="driver">{t('reports.byDriver')}</option>
              <option value="vehicle">{t('reports.byVehicle')}</option>
            </select>
          </div>
        )}
        {draft.report === 'geofence-visits' &&
          geofences.items.length > 0 &&
          select('geofence_id', t('reports.geofence'), geofences.items.map((g) => ({ value: g.id, label: g.name })), t('reports.allGeofences'))}
        {draft.report === 'events' && (
          <>
            {select('type', t('alerts.type.label'), EVENT_TYPES.map((x) => ({ value: x, label: typeLabel(t, x) })), t('alerts.allTypes'))}
            {select(
              'acknowledged',
              t('alerts.state'),
              [
                { value: 'false', label: t('alerts.notAcknowledged') },
                { value: 'true', label: t('alerts.acknowledged') },
              ],
              t('common.all'),
            )}
          </>
        )}
        <button type="submit" className="primary">
          {t('reports.show')}
        </button>
      </form>

      <section aria-labelledby={`${id}-result`} className="report-result">
        <div className="page-head">
          <h2 id={`${id}-result`}>{t(`reports.kind.${report}`)}</h2>
          {answer && answer.total > MAX_EXPORT_ROWS ? (
            <p className="help">{t('reports.tooLargeToExport', { rows: formats.number(MAX_EXPORT_ROWS) })}</p>
          ) : (
            <div className="exports" role="group" aria-label={t('reports.export')}>
              <a className="button" href={exportUrl('csv')} download>
                {t('reports.csv')}
              </a>
              <a className="button" href={exportUrl('xlsx')} download>
                {t('reports.xlsx')}
              </a>
            </div>
          )}
        </div>
        {answer && (
          <p className="help">
            {report === 'maintenance'
              ? t('reports.asOf', { date: formats.date(answer.date), zone: answer.time_zone })
              : t('reports.period', { from: formats.date(query.from), to: formats.date(query.to), zone: answer.time_zone })}
          </p>
        )}
        {chart && chart.bars.length > 0 && <BarChart {...chart} />}
        <ListBody page={error ? null : shownPage} error={error} empty={t('reports.none')}>
          {(p) => (
            <>
              <div className="table-scroll">
                <table className="data report-table">
                  <caption className="visually-hidden">{t(`reports.kind.${report}`)}</caption>
                  <thead>
                    <tr>
                      {columns.map((col) => (
                        <SortHeader
                          key={col.key}
                          field={col.key}
                          sort={sort}
                          onSort={(s) => {
                            setSort(s);
                            setLocal(0);
                          }}
                        >
                          {t(`reports.col.${col.key}`)}
                        </SortHeader>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {p.items.map((r, i) => (
                      <tr key={`${String(r.id ?? r.plan_id ?? '')}-${String(r.vehicle_id ?? r.driver_id ?? '')}-${String(r.date ?? '')}-${i}`}>
                        {columns.map((col) => {
                          const v = r[col.key];
                          let text = cellText(col.kind, v, formats);
                          if (col.key === 'type') text = typeLabel(t, String(v));
                          if (col.key === 'status' && report === 'maintenance') text = t(`reports.status.${String(v)}`);
                          if (col.key === 'acknowledged_at' && !v) text = t('alerts.notAcknowledged');
                          return (
                            <td key={col.key} className={col.kind === 'text' ? undefined : 'num'}>
                              {col.vehicleLink && typeof r.vehicle_id === 'number' ? (
                                <Link to={`/vehicles/${r.vehicle_id}`}>{text}</Link>
                              ) : (
                                text
                              )}
                            </td>
                          );
                        })}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager page={p} onOffset={setLocal} />
            </>
          )}
        </ListBody>
        {answer && answer.total > CHUNK && (
          <nav className="pager" aria-label={t('reports.chunks')}>
            <span>
              {t('reports.chunk', {
                from: chunk * CHUNK + 1,
                to: Math.min((chunk + 1) * CHUNK, answer.total),
                total: answer.total,
              })}
            </span>
            <button type="button" disabled={chunk === 0} onClick={() => { setChunk(chunk - 1); setLocal(0); }}>
              {t('reports.previousChunk')}
            </button>
            <button
              type="button"
              disabled={(chunk + 1) * CHUNK >= answer.total}
              onClick={() => { setChunk(chunk + 1); setLocal(0); }}
            >
              {t('reports.nextChunk')}
            </button>
          </nav>
        )}
      </section>
      <Schedules report={report} params={query} />
    </div>
  );
}
