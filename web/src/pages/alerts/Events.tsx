// The events inbox (GET /api/v1/events): newest first, filtered by type, vehicle and whether
// acknowledged; "Older" pages with the server's `next` (keyset paging: the inbox grows at its head
// while one reads). Fleet managers and administrators acknowledge one event or the ticked ones
// (POST /api/v1/events/{id}/acknowledge, idempotent). Each event links to its vehicle and to the
// vehicle's history of that day, and "Show on map" draws its place on a small map.
import { useId, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { api } from '../../api/client';
import type { Vehicle } from '../../api/types';
import { useCan } from '../../app/access';
import { useFormats, wallClock } from '../../app/time';
import { errorText } from '../../components/errors';
import { Loading } from '../../components/Loading';
import { useCursorPages } from '../../components/useCursorPages';
import { useAll } from '../../components/useList';
import { EventMap } from './EventMap';
import { detailText, eventTitle, typeLabel } from './eventText';
import { EVENT_TYPES, type EventPage, type FleetEvent } from './types';

const PAGE = 50;

interface Filters {
  type: string;
  vehicle_id: string;
  acknowledged: string; // '' all, 'false', 'true'
}

export default function Events() {
  const { t } = useTranslation();
  const formats = useFormats();
  const id = useId();
  const canAck = useCan()('operations.write');
  const vehicles = useAll<Vehicle>('/api/v1/vehicles', { sort: 'name' });
  const [draft, setDraft] = useState<Filters>({ type: '', vehicle_id: '', acknowledged: 'false' });
  const [filters, setFilters] = useState<Filters>(draft);
  const [message, setMessage] = useState('');
  const [chosen, setChosen] = useState<Set<number>>(new Set());
  const [shown, setShown] = useState<FleetEvent | null>(null);
  const query = useMemo(() => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (filters.type) q.set('type', filters.type);
    if (filters.vehicle_id) q.set('vehicle_id', filters.vehicle_id);
    if (filters.acknowledged) q.set('acknowledged', filters.acknowledged);
    return q.toString();
  }, [filters]);
  const pages = useCursorPages<EventPage>('/api/v1/events', query, 'before', (a) => a.next);
  const { answer, error } = pages;

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
    pages.newest();
    setChosen(new Set());
  }

  async function acknowledge(ids: number[]) {
    setMessage('');
    let done = 0;
    try {
      for (const eventId of ids) {
        await api('POST', `/api/v1/events/${eventId}/acknowledge`, { body: {} });
        done += 1;
      }
      setMessage(t('alerts.acknowledgedCount', { count: done }));
    } catch (e) {
      setMessage(`${t('alerts.acknowledgedCount', { count: done })} ${errorText(t, e)}`);
    }
    setChosen(new Set());
    pages.reload();
  }

  const toggle = (eventId: number, on: boolean) =>
    setChosen((old) => {
      const next = new Set(old);
      if (on) next.add(eventId);
      else next.delete(eventId);
      return next;
    });

  const items = answer?.items ?? [];
  const pending = items.filter((e) => !e.acknowledged_at);
  const historyLink = (e: FleetEvent) => {
    const day = wallClock(new Date(e.time), formats.zone).date;
    return `/history?${new URLSearchParams({ vehicle: String(e.vehicle_id), from: day, to: day, at: e.time })}`;
  };

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('alerts.events')}</h2>
      <form className="toolbar filters" onSubmit={apply} aria-label={t('alerts.filters')}>
        <div>
          <label htmlFor={`${id}-type`}>{t('alerts.type.label')}</label>
          <select id={`${id}-type`} value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.target.value })}>
            <option value="">{t('alerts.allTypes')}</option>
            {EVENT_TYPES.map((type) => (
              <option key={type} value={type}>
                {typeLabel(t, type)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-vehicle`}>{t('alerts.vehicle')}</label>
          <select
            id={`${id}-vehicle`}
            value={draft.vehicle_id}
            onChange={(e) => setDraft({ ...draft, vehicle_id: e.target.value })}
          >
            <option value="">{t('alerts.allVehicles')}</option>
            {vehicles.items.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-ack`}>{t('alerts.state')}</label>
          <select
            id={`${id}-ack`}
            value={draft.acknowledged}
            onChange={(e) => setDraft({ ...draft, acknowledged: e.target.value })}
          >
            <option value="false">{t('alerts.notAcknowledged')}</option>
            <option value="true">{t('alerts.acknowledged')}</option>
            <option value="">{t('common.all')}</option>
          </select>
        </div>
        <button type="submit">{t('alerts.apply')}</button>
      </form>
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      {shown && shown.lat !== null && shown.lon !== null && (
        <section className="event-place" aria-label={t('alerts.place')}>
          <h3>{eventTitle(t, shown.type, shown.vehicle_name)}</h3>
          <p>
            {formats.dateTime(shown.time)} · {formats.number(shown.lat, 5)}, {formats.number(shown.lon, 5)}
          </p>
          <EventMap lat={shown.lat} lon={shown.lon} label={eventTitle(t, shown.type, shown.vehicle_name)} />
        </section>
      )}
      {canAck && pending.length > 0 && (
        <div className="actions">
          <button type="button" disabled={chosen.size === 0} onClick={() => void acknowledge([...chosen])}>
            {t('alerts.acknowledgeChosen', { count: chosen.size })}
          </button>
        </div>
      )}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : !answer ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="empty">{t('alerts.none')}</p>
      ) : (
        <div className="table-scroll">
          <table className="data events">
            <caption className="visually-hidden">{t('alerts.events')}</caption>
            <thead>
              <tr>
                {canAck && (
                  <th scope="col">
                    <span className="visually-hidden">{t('alerts.choose')}</span>
                  </th>
                )}
                <th scope="col">{t('alerts.time')}</th>
                <th scope="col">{t('alerts.type.label')}</th>
                <th scope="col">{t('alerts.vehicle')}</th>
                <th scope="col">{t('alerts.driver')}</th>
                <th scope="col">{t('alerts.details')}</th>
                <th scope="col">{t('alerts.state')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => {
                const title = eventTitle(t, e.type, e.vehicle_name);
                return (
                  <tr key={e.id} className={shown?.id === e.id ? 'selected' : undefined}>
                    {canAck && (
                      <td>
                        {!e.acknowledged_at && (
                          <input
                            type="checkbox"
                            aria-label={t('alerts.chooseOne', { title, time: formats.dateTime(e.time) })}
                            checked={chosen.has(e.id)}
                            onChange={(ev) => toggle(e.id, ev.target.checked)}
                          />
                        )}
                      </td>
                    )}
                    <td>{formats.dateTime(e.time)}</td>
                    <td>{typeLabel(t, e.type)}</td>
                    <td>
                      {e.vehicle_id !== null ? <Link to={`/vehicles/${e.vehicle_id}`}>{e.vehicle_name}</Link> : '—'}
                    </td>
                    <td>{e.driver_name ?? ''}</td>
                    <td className="details">
                      {e.geofence_name && <span>{e.geofence_name} </span>}
                      {detailText(t, e.detail, formats.number)}
                    </td>
                    <td>
                      {e.acknowledged_at
                        ? t('alerts.acknowledgedAt', { time: formats.dateTime(e.acknowledged_at) })
                        : t('alerts.notAcknowledged')}
                    </td>
                    <td className="row-actions">
                      {canAck && !e.acknowledged_at && (
                        <button
                          type="button"
                          aria-label={t('alerts.acknowledgeOne', { title })}
                          onClick={() => void acknowledge([e.id])}
                        >
                          {t('alerts.acknowledge')}
                        </button>
                      )}
                      {e.lat !== null && e.lon !== null && (
                        <button
                          type="button"
                          aria-pressed={shown?.id === e.id}
                          aria-label={t('alerts.showOnMapOne', { title })}
                          onClick={() => setShown(shown?.id === e.id ? null : e)}
                        >
                          {t('alerts.showOnMap')}
                        </button>
                      )}
                      {e.vehicle_id !== null && (
                        <Link to={historyLink(e)} aria-label={t('alerts.historyOne', { title })}>
                          {t('alerts.history')}
                        </Link>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label={t('common.pages')}>
        <button type="button" disabled={!pages.hasNewer} onClick={pages.newest}>
          {t('alerts.newest')}
        </button>
        <button type="button" disabled={!pages.hasOlder} onClick={pages.older}>
          {t('alerts.older')}
        </button>
      </nav>
    </section>
  );
}
