// Administration: one tab per resource the role may see (vehicles have their own page in the main
// navigation). /admin opens the first one.
import { ADMIN_SECTIONS } from '../../app/access';
import { SectionTabs } from '../../components/SectionTabs';

export default function Admin() {
  return <SectionTabs base="/admin" titleKey="nav.admin" labelKey="admin.sections" sections={ADMIN_SECTIONS} />;
}
