// Drivers (/api/v1/drivers): name, badge (iButton / RFID, as the device reports it), employee number.
import { useTranslation } from 'react-i18next';
import type { Driver } from '../../api/types';
import { useCan } from '../../app/access';
import type { FieldSpec } from '../../components/EntityForm';
import { AdminList } from './AdminList';

export default function Drivers() {
  const { t } = useTranslation();
  const can = useCan();
  const fields: FieldSpec[] = [
    { name: 'name', label: t('drivers.name'), required: true, maxLength: 128 },
    { name: 'badge_id', label: t('drivers.badge'), maxLength: 64, nullable: true, help: t('drivers.badgeHelp') },
    { name: 'employee_number', label: t('drivers.employee'), maxLength: 64 },
  ];
  const write = can('fleet.write');
  return (
    <AdminList<Driver>
      title={t('admin.drivers')}
      path="/api/v1/drivers"
      defaultSort="name"
      search={t('drivers.search')}
      empty={t('drivers.none')}
      nameOf={(d) => d.name}
      columns={[
        { label: t('drivers.name'), sort: 'name', render: (d) => d.name },
        { label: t('drivers.badge'), sort: 'badge_id', render: (d) => d.badge_id },
        { label: t('drivers.employee'), sort: 'employee_number', render: (d) => d.employee_number },
      ]}
      create={write ? { label: t('drivers.new'), fields } : undefined}
      edit={write ? { fields: () => fields } : undefined}
      remove={
        write
          ? { label: t('common.delete'), confirm: (d) => t('drivers.deleteConfirm', { name: d.name }), done: t('common.deleted') }
          : undefined
      }
    />
  );
}
