// Translations: one JSON message file per language in src/locales/ (en.json, fr.json, ...). A file
// added there is a new language: it is found at build time, offered in the language picker and
// loaded only when chosen. The first choice comes from the browser; the picker's choice is kept in
// localStorage (a preference, nothing that grants access).
import i18n, { type BackendModule } from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next } from 'react-i18next';

const files = import.meta.glob<{ default: Record<string, unknown> }>('../locales/*.json');
const loaders = new Map(Object.entries(files).map(([path, load]) => [path.replace(/^.*\/(.*)\.json$/, '$1'), load]));

export const languages = [...loaders.keys()].sort();

// The language's name in itself ("English", "français"), from the browser's own data.
export function languageName(code: string): string {
  try {
    return new Intl.DisplayNames([code], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

const lazyFiles: BackendModule = {
  type: 'backend',
  init() {},
  read(language, _namespace, callback) {
    const load = loaders.get(language);
    if (!load) {
      callback(new Error(`no messages for ${language}`), null);
      return;
    }
    load().then(
      (m) => callback(null, m.default as never),
      (e: unknown) => callback(e as Error, null),
    );
  },
};

export const STORAGE_KEY = 'fleetd.language';

export async function startI18n(): Promise<void> {
  await i18n
    .use(lazyFiles)
    .use(LanguageDetector)
    .use(initReactI18next)
    .init({
      supportedLngs: languages,
      nonExplicitSupportedLngs: true, // fr-CA → fr
      load: 'languageOnly',
      fallbackLng: 'en',
      interpolation: { escapeValue: false }, // React renders text, never HTML
      detection: { order: ['localStorage', 'navigator'], lookupLocalStorage: STORAGE_KEY, caches: ['localStorage'] },
      react: { useSuspense: false },
    });
  const setLang = (lng: string) => document.documentElement.setAttribute('lang', lng);
  setLang(i18n.resolvedLanguage ?? 'en');
  i18n.on('languageChanged', () => setLang(i18n.resolvedLanguage ?? 'en'));
}

export default i18n;
