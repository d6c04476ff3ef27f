// Administration: one tab per resource the role may see (vehicles have their own page in the main
// navigation). /admin opens the first one.
import { useTranslation } from 'react-i18next';
import { Navigate, NavLink, Outlet, useLocation } from 'react-router-dom';
import { ADMIN_SECTIONS, useCan } from '../../app/access';

export default function Admin() {
  const { t } = useTranslation();
  const can = useCan();
  const location = useLocation();
  const sections = ADMIN_SECTIONS.filter((s) => can(s.permission));
  if (location.pathname.replace(/\/$/, '') === '/admin' && sections[0]) {
    return <Navigate to={`/admin/${sections[0].to}`} replace />;
  }
  return (
    <div className="page">
      <h1>{t('nav.admin')}</h1>
      <nav className="tabs" aria-label={t('admin.sections')}>
        <ul>
          {sections.map((s) => (
            <li key={s.to}>
              <NavLink to={`/admin/${s.to}`}>{t(s.key)}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Outlet />
    </div>
  );
}
