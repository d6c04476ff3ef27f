// A page of the navigation that a later release fills.
import { useTranslation } from 'react-i18next';

export default function NotYet({ titleKey }: { titleKey: string }) {
  const { t } = useTranslation();
  return (
    <div className="page">
      <h1>{t(titleKey)}</h1>
      <p>{t('common.comingLater')}</p>
    </div>
  );
}
