// The delivery log (GET /api/v1/notifications/deliveries, tenant administrators): one row per
// event, channel and recipient, newest first, filtered by channel and status; the last error is
// the server's words, shown as text.
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { UserRecord } from '../../api/types';
import { useCan } from '../../app/access';
import { useFormats } from '../../app/time';
import { ListBody, Pager } from '../../components/ListParts';
import { PAGE_SIZE, useAll, useList } from '../../components/useList';
import { eventTitle } from '../alerts/eventText';
import { CHANNELS, DELIVERY_STATUSES, type Notification, type Webhook } from '../alerts/types';
import { recipientText } from './recipients';

export default function Deliveries() {
  const { t } = useTranslation();
  const formats = useFormats();
  const id = useId();
  const [channel, setChannel] = useState('');
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const users = useAll<UserRecord>(useCan()('users.read') ? '/api/v1/users' : null, { sort: 'email' });
  const webhooks = useAll<Webhook>('/api/v1/webhooks', { sort: 'name' });
  const list = useList<Notification>('/api/v1/notifications/deliveries', {
    sort: '-id',
    channel,
    status,
    offset,
    limit: PAGE_SIZE,
  });

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('notifications.deliveries')}</h2>
      <div className="toolbar filters" role="group" aria-label={t('alerts.filters')}>
        <div>
          <label htmlFor={`${id}-channel`}>{t('notifications.delivery.channel')}</label>
          <select
            id={`${id}-channel`}
            value={channel}
            onChange={(e) => {
              setChannel(e.target.value);
              setOffset(0);
            }}
          >
            <option value="">{t('common.all')}</option>
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {t(`notifications.channel.${c}`)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-status`}>{t('notifications.delivery.status')}</label>
          <select
            id={`${id}-status`}
            value={status}
            onChange={(e) => {
              setStatus(e.target.value);
              setOffset(0);
            }}
          >
            <option value="">{t('common.all')}</option>
            {DELIVERY_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`notifications.status.${s}`)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ListBody page={list.page} error={list.error} empty={t('notifications.delivery.none')}>
        {(p) => (
          <>
            <div className="table-scroll">
              <table className="data">
                <caption className="visually-hidden">{t('notifications.deliveries')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('notifications.delivery.created')}</th>
                    <th scope="col">{t('notifications.delivery.event')}</th>
                    <th scope="col">{t('notifications.delivery.channel')}</th>
                    <th scope="col">{t('notifications.delivery.recipient')}</th>
                    <th scope="col">{t('notifications.delivery.status')}</th>
                    <th scope="col">{t('notifications.delivery.attempts')}</th>
                    <th scope="col">{t('notifications.delivery.lastError')}</th>
                    <th scope="col">{t('notifications.delivery.delivered')}</th>
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((n) => (
                    <tr key={n.id}>
                      <td>{formats.dateTime(n.created_at)}</td>
                      <td>
                        {eventTitle(t, n.event.type, n.event.vehicle?.name ?? null)} · {formats.dateTime(n.event.time)}
                      </td>
                      <td>{t(`notifications.channel.${n.channel}`)}</td>
                      <td>{recipientText(n.recipient, users.items, webhooks.items)}</td>
                      <td>
                        {t(`notifications.status.${n.status}`)}
                        {n.status === 'pending' && n.next_attempt_at && ` (${formats.dateTime(n.next_attempt_at)})`}
                      </td>
                      <td>{n.attempts}</td>
                      <td>{n.last_error ?? ''}</td>
                      <td>{n.delivered_at ? formats.dateTime(n.delivered_at) : ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={p} onOffset={setOffset} />
          </>
        )}
      </ListBody>
    </section>
  );
}
