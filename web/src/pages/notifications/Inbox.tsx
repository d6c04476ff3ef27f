// The user's web notifications (GET /api/v1/notifications): newest first, unread ones marked, each
// marked read on demand (POST /api/v1/notifications/{id}/read, idempotent). A notification that
// arrives over the live feed while the page is open shows at once.
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { api } from '../../api/client';
import type { Page } from '../../api/types';
import { useFormats } from '../../app/time';
import { errorText } from '../../components/errors';
import { ListBody, Pager } from '../../components/ListParts';
import { PAGE_SIZE, useList } from '../../components/useList';
import { detailText, eventTitle } from '../alerts/eventText';
import type { Notification } from '../alerts/types';
import { INBOX_CHANGED, inboxEvents, NOTIFICATION_ARRIVED } from './LiveNotifications';

export default function Inbox() {
  const { t } = useTranslation();
  const formats = useFormats();
  const id = useId();
  const [offset, setOffset] = useState(0);
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [message, setMessage] = useState('');
  const list = useList<Notification>('/api/v1/notifications', {
    limit: PAGE_SIZE,
    offset,
    unread: unreadOnly ? 'true' : undefined,
  });
  const { reload } = list;

  useEffect(() => {
    inboxEvents.addEventListener(NOTIFICATION_ARRIVED, reload);
    return () => inboxEvents.removeEventListener(NOTIFICATION_ARRIVED, reload);
  }, [reload]);

  async function markRead(ids: number[]) {
    setMessage('');
    try {
      for (const n of ids) await api('POST', `/api/v1/notifications/${n}/read`, { body: {} });
    } catch (e) {
      setMessage(errorText(t, e));
    }
    inboxEvents.dispatchEvent(new Event(INBOX_CHANGED));
    reload();
  }

  const page = list.page as (Page<Notification> & { unread?: number }) | null;
  const unreadShown = (page?.items ?? []).filter((n) => !n.read_at).map((n) => n.id);

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('notifications.inbox')}</h2>
      <div className="toolbar">
        <label className="checkbox">
          <input
            type="checkbox"
            checked={unreadOnly}
            onChange={(e) => {
              setUnreadOnly(e.target.checked);
              setOffset(0);
            }}
          />
          {t('notifications.unreadOnly')}
        </label>
        {page && typeof page.unread === 'number' && (
          <span className="count" aria-live="polite">
            {t('notifications.unreadCount', { count: page.unread })}
          </span>
        )}
        <button type="button" disabled={unreadShown.length === 0} onClick={() => void markRead(unreadShown)}>
          {t('notifications.markAllRead')}
        </button>
      </div>
      {message && (
        <p className="error" role="alert">
          {message}
        </p>
      )}
      <ListBody page={page} error={list.error} empty={t('notifications.none')}>
        {(p) => (
          <>
            <ul className="inbox">
              {p.items.map((n) => {
                const title = eventTitle(t, n.event.type, n.event.vehicle?.name ?? null);
                return (
                  <li key={n.id} className={n.read_at ? 'read' : 'unread'}>
                    <div>
                      <strong>{title}</strong>
                      {!n.read_at && <span className="badge">{t('notifications.new')}</span>}
                    </div>
                    <div className="muted">
                      {formats.dateTime(n.event.time)}
                      {n.event.driver && ` · ${n.event.driver.name}`}
                      {n.status === 'quiet' && ` · ${t('notifications.status.quiet')}`}
                    </div>
                    {Object.keys(n.event.detail ?? {}).length > 0 && <div>{detailText(t, n.event.detail, formats.number)}</div>}
                    <div className="row-actions">
                      {n.event.vehicle && <Link to={`/vehicles/${n.event.vehicle.id}`}>{n.event.vehicle.name}</Link>}
                      {!n.read_at && (
                        <button
                          type="button"
                          aria-label={t('notifications.markReadOne', { title })}
                          onClick={() => void markRead([n.id])}
                        >
                          {t('notifications.markRead')}
                        </button>
                      )}
                    </div>
                  </li>
                );
              })}
            </ul>
            <Pager page={p} onOffset={setOffset} />
          </>
        )}
      </ListBody>
    </section>
  );
}
