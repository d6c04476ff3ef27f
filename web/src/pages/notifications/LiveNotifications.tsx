// The navigation's notification count and the toasts of notifications as they arrive. The count is
// the inbox's `unread` (GET /api/v1/notifications), asked again on each change of page and after
// the feed reconnects (no polling: that would keep an idle session alive); a web notification
// pushed over the live feed ({"type":"notification"}, on the tab's one socket, see map/live.ts)
// adds one and shows a toast for a few seconds.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router-dom';
import { api } from '../../api/client';
import { useCan } from '../../app/access';
import { LiveFeed } from '../map/live';
import type { Notification } from '../alerts/types';
import { eventTitle } from '../alerts/eventText';

const TOAST_MS = 8000;
const MAX_TOASTS = 3;

// Pages that change the unread count (marking read) say so here; the count is asked again.
export const inboxEvents = new EventTarget();
export const INBOX_CHANGED = 'inbox-changed';
// A notification came over the live feed (the inbox page shows it).
export const NOTIFICATION_ARRIVED = 'notification-arrived';

export function LiveNotifications() {
  const { t } = useTranslation();
  const can = useCan();
  const allowed = can('reports.read');
  const live = can('positions.read');
  const location = useLocation();
  const [unread, setUnread] = useState<number | null>(null);
  const [toasts, setToasts] = useState<Notification[]>([]);
  const [generation, setGeneration] = useState(0);
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());

  useEffect(() => {
    if (!allowed) return;
    const abort = new AbortController();
    api<{ unread: number }>('GET', '/api/v1/notifications?limit=1', { signal: abort.signal }).then(
      (a) => setUnread(a.unread),
      () => undefined, // a server without the inbox: no count
    );
    return () => abort.abort();
  }, [allowed, location.pathname, generation]);

  useEffect(() => {
    const again = () => setGeneration((g) => g + 1);
    inboxEvents.addEventListener(INBOX_CHANGED, again);
    return () => inboxEvents.removeEventListener(INBOX_CHANGED, again);
  }, []);

  useEffect(() => {
    if (!allowed || !live) return;
    const feed = new LiveFeed(
      () => undefined,
      (state, reconnected) => {
        if (state === 'live' && reconnected) setGeneration((g) => g + 1);
      },
      (n) => {
        const note = n as Notification;
        if (typeof note.id !== 'number' || !note.event) return;
        setUnread((u) => (u ?? 0) + 1);
        inboxEvents.dispatchEvent(new Event(NOTIFICATION_ARRIVED));
        setToasts((old) => [note, ...old.filter((o) => o.id !== note.id)].slice(0, MAX_TOASTS));
        const timer = setTimeout(() => {
          timers.current.delete(timer);
          setToasts((old) => old.filter((o) => o.id !== note.id));
        }, TOAST_MS);
        timers.current.add(timer);
      },
    );
    feed.start();
    const pending = timers.current;
    return () => {
      feed.stop();
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    };
  }, [allowed, live]);

  if (!allowed || unread === null) return null;
  return (
    <>
      <Link
        to="/alerts/notifications"
        className="bell"
        aria-label={t('notifications.bellLabel', { count: unread })}
        data-testid="bell"
      >
        <svg className="bell-icon" viewBox="0 0 24 24" aria-hidden="true">
          <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1z" />
        </svg>
        <span className="bell-text" aria-hidden="true">
          {t('notifications.bell')}
        </span>
        {unread > 0 && (
          <span className="badge count-badge" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </Link>
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((n) => (
          <div key={n.id} className="toast">
            <Link to="/alerts/notifications">{eventTitle(t, n.event.type, n.event.vehicle?.name ?? null)}</Link>
            <button
              type="button"
              className="link"
              aria-label={t('notifications.dismiss')}
              onClick={() => setToasts((old) => old.filter((o) => o.id !== n.id))}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </>
  );
}
