// Tenants (the operator's: /api/v1/tenants): the organisations on this server, their time zone,
// whether every user must use a second factor, and suspension (which signs all their users out).
import { useTranslation } from 'react-i18next';
import type { Tenant } from '../../api/types';
import { useCan } from '../../app/access';
import { useFormats } from '../../app/time';
import type { FieldSpec } from '../../components/EntityForm';
import { AdminList } from './AdminList';

export default function Tenants() {
  const { t } = useTranslation();
  const can = useCan();
  const formats = useFormats();
  const write = can('tenants.write');
  const zone: FieldSpec = { name: 'time_zone', label: t('tenants.timeZone'), maxLength: 64, help: t('tenants.timeZoneHelp') };
  const totp: FieldSpec = { name: 'require_totp', label: t('tenants.requireTotp'), kind: 'checkbox' };
  const statuses = (['active', 'suspended'] as const).map((s) => ({ value: s, label: t(`tenants.status.${s}`) }));
  return (
    <AdminList<Tenant>
      title={t('admin.tenants')}
      path="/api/v1/tenants"
      defaultSort="name"
      empty={t('tenants.none')}
      nameOf={(x) => x.name}
      filters={[{ name: 'status', label: t('tenants.statusLabel'), options: statuses }]}
      columns={[
        { label: t('tenants.name'), sort: 'name', render: (x) => x.name },
        { label: t('tenants.statusLabel'), render: (x) => t(`tenants.status.${x.status}`) },
        { label: t('tenants.timeZone'), render: (x) => x.time_zone },
        { label: t('tenants.requireTotp'), render: (x) => (x.require_totp ? t('common.yes') : t('common.no')) },
        { label: t('tenants.created'), sort: 'created_at', render: (x) => formats.dateTime(x.created_at) },
      ]}
      create={
        write
          ? {
              label: t('tenants.new'),
              fields: [
                { name: 'name', label: t('tenants.name'), required: true, maxLength: 64, help: t('tenants.nameHelp') },
                zone,
                totp,
              ],
              initial: { time_zone: 'Europe/Paris' },
            }
          : undefined
      }
      edit={
        write
          ? { fields: () => [{ name: 'status', label: t('tenants.statusLabel'), kind: 'select', required: true, options: statuses }, zone, totp] }
          : undefined
      }
    />
  );
}
