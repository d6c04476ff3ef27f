// Installing a device in a vehicle (POST /api/v1/installations {vehicle_id, device_id, from, note}):
// from the vehicle's page (vehicle fixed) or the installations page (vehicle chosen). Only the
// tenant's active devices that are in no vehicle are offered; the start is a wall-clock time in
// the tenant's zone, now by default.
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Device, Installation, Vehicle } from '../api/types';
import { useFormats, wallClock, zonedTime } from '../app/time';
import { EntityForm, type FieldSpec } from './EntityForm';
import { useAll } from './useList';

interface Props {
  vehicleId?: number;
  onDone: (installation: Installation) => void;
  onCancel: () => void;
}

export function InstallForm({ vehicleId, onDone, onCancel }: Props) {
  const { t } = useTranslation();
  const formats = useFormats();
  const devices = useAll<Device>('/api/v1/devices', { sort: 'imei' });
  const vehicles = useAll<Vehicle>(vehicleId === undefined ? '/api/v1/vehicles' : null, { sort: 'name' });
  const free = devices.items.filter((d) => d.vehicle_id === null && d.status === 'active');
  const now = wallClock(new Date(), formats.zone);
  const fields: FieldSpec[] = [];
  if (vehicleId === undefined) {
    fields.push({
      name: 'vehicle_id',
      label: t('installations.vehicle'),
      kind: 'select',
      required: true,
      options: vehicles.items.filter((v) => !v.installation).map((v) => ({ value: String(v.id), label: v.name })),
    });
  }
  fields.push(
    {
      name: 'device_id',
      label: t('installations.device'),
      kind: 'select',
      required: true,
      options: free.map((d) => ({ value: String(d.id), label: d.name ? `${d.imei} — ${d.name}` : d.imei })),
      help: free.length === 0 && devices.page ? t('installations.noFreeDevice') : undefined,
    },
    {
      name: 'from',
      label: t('installations.from'),
      kind: 'datetime',
      required: true,
      help: t('common.inZone', { zone: formats.zone }),
    },
    { name: 'note', label: t('installations.note'), maxLength: 256 },
  );
  if (!devices.page || (vehicleId === undefined && !vehicles.page)) return null;
  return (
    <EntityForm
      title={t('installations.new')}
      submitLabel={t('installations.install')}
      fields={fields}
      initial={{ from: `${now.date}T${now.time}` }}
      onCancel={onCancel}
      onSubmit={async (body) => {
        const [date, time] = String(body.from).split('T');
        const request = {
          ...body,
          vehicle_id: vehicleId ?? Number(body.vehicle_id),
          device_id: Number(body.device_id),
          from: zonedTime(date ?? '', time ?? '', formats.zone).toISOString(),
        };
        onDone(await api<Installation>('POST', '/api/v1/installations', { body: request }));
      }}
    />
  );
}
