// A page of tabs, one per section the role may use (administration, alerts): the heading, the tabs
// as links, and the chosen section below. The page's own address opens the first section.
import { useTranslation } from 'react-i18next';
import { Navigate, NavLink, Outlet, useLocation } from 'react-router-dom';
import { roleMayUse, type Permission } from '../app/access';
import { useUser } from '../app/auth';

export interface Section {
  to: string;
  key: string;
  permission: Permission;
  drivers?: boolean; // shown to drivers (see roleMayUse); none is yet
}

export function SectionTabs({ base, titleKey, labelKey, sections }: { base: string; titleKey: string; labelKey: string; sections: readonly Section[] }) {
  const { t } = useTranslation();
  const { role } = useUser();
  const location = useLocation();
  const allowed = sections.filter((s) => roleMayUse(role, s.permission, s.drivers));
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
