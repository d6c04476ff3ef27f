// The vehicle form's fields (POST and PATCH /api/v1/vehicles), for the list's "New vehicle" and the
// vehicle page's "Edit".
import type { TFunction } from 'i18next';
import type { Group } from '../../api/types';
import type { FieldSpec } from '../../components/EntityForm';

export function vehicleFields(t: TFunction, groups: readonly Group[]): FieldSpec[] {
  return [
    { name: 'name', label: t('vehicles.name'), required: true, maxLength: 128 },
    { name: 'plate', label: t('vehicles.plate'), maxLength: 32 },
    { name: 'vin', label: t('vehicles.vin'), maxLength: 17, nullable: true, help: t('vehicles.vinHelp') },
    { name: 'make', label: t('vehicles.make'), maxLength: 64 },
    { name: 'model', label: t('vehicles.model'), maxLength: 64 },
    { name: 'sale_date', label: t('vehicles.saleDate'), kind: 'date' },
    { name: 'insurance_date', label: t('vehicles.insuranceDate'), kind: 'date' },
    {
      name: 'group_ids',
      label: t('vehicles.groups'),
      kind: 'multi',
      numeric: true,
      options: groups.map((g) => ({ value: String(g.id), label: g.name })),
    },
  ];
}
