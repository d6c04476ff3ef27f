// Notification rules (/api/v1/notification-rules): which event types, about which vehicles or
// groups (none named: every vehicle), reach which users and webhooks, by which channels, outside
// which quiet hours (in the tenant's zone). Read with reports.read; created, changed and deleted
// with operations.write. The server checks everything (a name used twice, web/e-mail without
// users, webhook without webhooks) and its refusal is shown on the form.
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import type { Group, UserRecord, Vehicle } from '../../api/types';
import { useCan } from '../../app/access';
import { EntityForm, type FieldSpec } from '../../components/EntityForm';
import { errorText } from '../../components/errors';
import { ListBody, Pager, SortHeader } from '../../components/ListParts';
import { PAGE_SIZE, useAll, useList } from '../../components/useList';
import { typeLabel } from '../alerts/eventText';
import { recipientText } from './recipients';
import { CHANNELS, EVENT_TYPES, type NotificationRule, type Webhook } from '../alerts/types';

export default function Rules() {
  const { t } = useTranslation();
  const id = useId();
  const can = useCan();
  const canWrite = can('operations.write');
  const [sort, setSort] = useState('name');
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<NotificationRule | 'new' | null>(null);
  const [message, setMessage] = useState('');
  const list = useList<NotificationRule>('/api/v1/notification-rules', { sort, offset, limit: PAGE_SIZE });
  const vehicles = useAll<Vehicle>('/api/v1/vehicles', { sort: 'name' });
  const groups = useAll<Group>('/api/v1/groups', { sort: 'name' });
  const users = useAll<UserRecord>(can('users.read') ? '/api/v1/users' : null, { sort: 'email' });
  const webhooks = useAll<Webhook>(can('tenant.settings') ? '/api/v1/webhooks' : null, { sort: 'name' });

  const name = (items: readonly { id: number; name: string }[], ids: number[]) =>
    ids.map((i) => items.find((x) => x.id === i)?.name ?? `#${i}`).join(', ');

  const fields: FieldSpec[] = [
    { name: 'name', label: t('notifications.rule.name'), required: true, maxLength: 128 },
    {
      name: 'event_types',
      label: t('notifications.rule.eventTypes'),
      kind: 'multi',
      options: EVENT_TYPES.map((type) => ({ value: type, label: typeLabel(t, type) })),
    },
    {
      name: 'vehicle_ids',
      label: t('notifications.rule.vehicles'),
      kind: 'multi',
      numeric: true,
      help: t('notifications.rule.everyVehicleHelp'),
      options: vehicles.items.map((v) => ({ value: String(v.id), label: v.name })),
    },
    {
      name: 'group_ids',
      label: t('notifications.rule.groups'),
      kind: 'multi',
      numeric: true,
      options: groups.items.map((g) => ({ value: String(g.id), label: g.name })),
    },
    {
      name: 'channels',
      label: t('notifications.rule.channels'),
      kind: 'multi',
      options: CHANNELS.map((c) => ({ value: c, label: t(`notifications.channel.${c}`) })),
    },
    {
      name: 'user_ids',
      label: t('notifications.rule.users'),
      kind: 'multi',
      numeric: true,
      help: t('notifications.rule.usersHelp'),
      options: users.items.map((u) => ({ value: String(u.id), label: u.name ? `${u.name} (${u.email})` : u.email })),
    },
    ...(can('tenant.settings')
      ? [
          {
            name: 'webhook_ids',
            label: t('notifications.rule.webhooks'),
            kind: 'multi' as const,
            numeric: true,
            options: webhooks.items.map((w) => ({ value: String(w.id), label: w.name })),
          },
        ]
      : []),
    { name: 'quiet_start', label: t('notifications.rule.quietStart'), nullable: true, maxLength: 5, help: t('notifications.rule.quietHelp') },
    { name: 'quiet_end', label: t('notifications.rule.quietEnd'), nullable: true, maxLength: 5 },
    { name: 'enabled', label: t('notifications.rule.enabled'), kind: 'checkbox' },
  ];

  async function remove(rule: NotificationRule) {
    if (!window.confirm(t('notifications.rule.deleteConfirm', { name: rule.name }))) return;
    setMessage('');
    try {
      await api('DELETE', `/api/v1/notification-rules/${rule.id}`);
      setMessage(t('common.deleted'));
      list.reload();
    } catch (e) {
      setMessage(errorText(t, e));
    }
  }

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('notifications.rules')}</h2>
      <p className="help">{t('notifications.rule.help')}</p>
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      {canWrite &&
        (editing ? (
          <EntityForm
            key={editing === 'new' ? 'new' : editing.id}
            title={editing === 'new' ? t('notifications.rule.new') : t('common.editing', { name: editing.name })}
            submitLabel={editing === 'new' ? t('common.create') : t('common.save')}
            fields={fields}
            initial={editing === 'new' ? { enabled: true, channels: ['web'] } : { ...editing }}
            changesOnly={editing !== 'new'}
            onCancel={() => setEditing(null)}
            onSubmit={async (body) => {
              if (editing === 'new') {
                await api('POST', '/api/v1/notification-rules', { body });
                setMessage(t('common.created'));
              } else {
                await api('PATCH', `/api/v1/notification-rules/${editing.id}`, { body });
                setMessage(t('common.saved'));
              }
              setEditing(null);
              list.reload();
            }}
          />
        ) : (
          <button type="button" onClick={() => setEditing('new')}>
            {t('notifications.rule.new')}
          </button>
        ))}
      <ListBody page={list.page} error={list.error} empty={t('notifications.rule.none')}>
        {(p) => (
          <>
            <div className="table-scroll">
              <table className="data">
                <caption className="visually-hidden">{t('notifications.rules')}</caption>
                <thead>
                  <tr>
                    <SortHeader field="name" sort={sort} onSort={setSort}>
                      {t('notifications.rule.name')}
                    </SortHeader>
                    <th scope="col">{t('notifications.rule.eventTypes')}</th>
                    <th scope="col">{t('notifications.rule.scope')}</th>
                    <th scope="col">{t('notifications.rule.channels')}</th>
                    <th scope="col">{t('notifications.rule.recipients')}</th>
                    <th scope="col">{t('notifications.rule.quiet')}</th>
                    <th scope="col">{t('notifications.rule.enabled')}</th>
                    {canWrite && (
                      <th scope="col">
                        <span className="visually-hidden">{t('common.actions')}</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((r) => (
                    <tr key={r.id}>
                      <th scope="row">{r.name}</th>
                      <td>{r.event_types.map((type) => typeLabel(t, type)).join(', ')}</td>
                      <td>
                        {r.vehicle_ids.length === 0 && r.group_ids.length === 0
                          ? t('notifications.rule.everyVehicle')
                          : [name(vehicles.items, r.vehicle_ids), name(groups.items, r.group_ids)].filter(Boolean).join(' · ')}
                      </td>
                      <td>{r.channels.map((c) => t(`notifications.channel.${c}`)).join(', ')}</td>
                      <td>
                        {[
                          ...r.user_ids.map((u) => recipientText(`user:${u}`, users.items, [])),
                          ...r.webhook_ids.map((w) => recipientText(`webhook:${w}`, [], webhooks.items)),
                        ].join(', ')}
                      </td>
                      <td>{r.quiet_start && r.quiet_end ? `${r.quiet_start}–${r.quiet_end}` : t('common.none')}</td>
                      <td>{r.enabled ? t('common.yes') : t('common.no')}</td>
                      {canWrite && (
                        <td className="row-actions">
                          <button type="button" onClick={() => setEditing(r)} aria-label={t('common.editNamed', { name: r.name })}>
                            {t('common.edit')}
                          </button>
                          <button
                            type="button"
                            className="danger"
                            onClick={() => void remove(r)}
                            aria-label={t('notifications.rule.deleteNamed', { name: r.name })}
                          >
                            {t('common.delete')}
                          </button>
                        </td>
                      )}
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
