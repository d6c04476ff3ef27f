// A page of tabs, one per section the role may use (administration, alerts): the heading, the tabs
// as links, and the chosen section below. The page's own address opens the first section.
import { useTranslation } from 'react-i18next';
import { Navigate, NavLink, Outlet, useLocation } from 'react-router-dom';
import { useCan, type Permission } from '../app/access';

export interface Section {
  to: string;
  key: string;
  permission: Permission;
}

export function SectionTabs({ base, titleKey, labelKey, sections }: { base: string; titleKey: string; labelKey: string; sections: readonly Section[] }) {
  const { t } = useTranslation();
  const can = useCan();
  const location = useLocation();
  const allowed = sections.filter((s) => can(s.permission));
  if (location.pathname.replace(/\/$/, '') === base && allowed[0]) {
    return <Navigate to={`${base}/${allowed[0].to}`} replace />;
  }
  return (
    <div className="page">
      <h1>{t(titleKey)}</h1>
      <nav className="tabs" aria-label={t(labelKey)}>
        <ul>
          {allowed.map((s) => (
            <li key={s.to}>
              <NavLink to={`${base}/${s.to}`}>{t(s.key)}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Outlet />
    </div>
  );
}
