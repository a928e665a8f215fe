/**
 * The patient portal's words in English and Spanish (UI.md: plain language, a visible language
 * switch). Staff screens are English only for now. Keep sentences short and concrete.
 */
import { useLocalStorage } from '@mantine/hooks';

export type Language = 'en' | 'es';

const en = {
  appName: 'CareLoop',
  myHealth: 'My health',
  whoViewed: 'Who viewed my record',
  healthSummary: 'Health summary',
  whoViewedProxy: 'Who viewed this record',
  careTeamProxy: 'Care team',
  conditionsProxy: 'Health conditions',
  medicinesProxy: 'Medicines',
  systemActor: 'CareLoop (automatic)',
  times: '{n} times',
  ownViewsHidden: 'Your own visits are not listed.',
  signOut: 'Sign out',
  menu: 'Menu',
  languageSwitch: 'Language',
  viewingRecordOf: 'Viewing the record of',
  chooseRecord: 'Choose whose record to see',
  noLinkedPatients:
    'Your account is not linked to anyone’s record yet. Ask the care team to link you to the person you care for.',
  noOwnRecord: 'Your account is not linked to a health record yet. Ask your care team for help.',
  loading: 'Loading…',
  loadFailed: 'We could not load this. Try again in a moment.',
  tryAgain: 'Try again',
  summaryIntro: 'This is a short summary of your health record. Ask your care team if anything looks wrong.',
  summaryIntroProxy: 'This is a short summary of the health record of {name}.',
  careTeam: 'My care team',
  careTeamHelp: 'The people who work together on your care.',
  noCareTeam: 'No care team is recorded yet.',
  conditions: 'My health conditions',
  conditionsHelp: 'Health problems your care team is treating now.',
  noConditions: 'No current health conditions are recorded.',
  since: 'Since {date}',
  medicines: 'My medicines',
  medicinesHelp: 'Medicines your doctors have asked you to take now.',
  noMedicines: 'No current medicines are recorded.',
  started: 'Started {date}',
  accessIntro:
    'Every time someone opens your record, CareLoop writes it down. Here you can see who looked at it, when, and why.',
  accessIntroProxy: 'Everyone who opened the record of {name}, when, and why.',
  noAccess: 'Nobody has viewed this record yet.',
  emergency: 'Emergency access',
  emergencyHelp:
    'Emergency access means someone needed your record urgently. The privacy officer checks every one of these.',
  purposeTREAT: 'To give care',
  purposeETREAT: 'Emergency care',
  purposeHOPERAT: 'Running the service',
  purposePATRQT: 'Your own request',
  purposeOther: 'Other',
  actionRead: 'Looked at the record',
  actionSearch: 'Searched the record',
  actionCreate: 'Added information',
  actionUpdate: 'Changed information',
  actionDelete: 'Removed information',
  actionOther: 'Used the record',
  member: 'Care team member',
  questionnaires: 'Questionnaires',
  questionnairesNav: 'Questions',
  questionnairesHelp: 'Answer a few questions so your care team knows how you are doing.',
  chooseQuestionnaire: 'Choose a questionnaire',
  send: 'Send my answers',
  thanks: 'Thank you. Your answers were sent to your care team, who will review them.',
  crisis:
    'You said you have had thoughts of hurting yourself. Your care team will contact you today. If you are in danger now, call or text 988 (Suicide & Crisis Lifeline) or call 911.',
  englishOnly: 'These questions are in English.',
  answerAnother: 'Answer another questionnaire',
  formMissing: 'Please answer:',
  formYes: 'Yes',
  formNo: 'No',
  formOther: 'Other',
  formSaveDraft: 'Save and finish later',
  formRequired: 'required',
  draftSaved: 'Saved. You can finish later.',
} as const;

export type MessageKey = keyof typeof en;

const es: Record<MessageKey, string> = {
  appName: 'CareLoop',
  myHealth: 'Mi salud',
  whoViewed: 'Quién vio mi expediente',
  healthSummary: 'Resumen de salud',
  whoViewedProxy: 'Quién vio este expediente',
  careTeamProxy: 'Equipo de atención',
  conditionsProxy: 'Problemas de salud',
  medicinesProxy: 'Medicamentos',
  systemActor: 'CareLoop (automático)',
  times: '{n} veces',
  ownViewsHidden: 'Sus propias visitas no aparecen en la lista.',
  signOut: 'Cerrar sesión',
  menu: 'Menú',
  languageSwitch: 'Idioma',
  viewingRecordOf: 'Viendo el expediente de',
  chooseRecord: 'Elija de quién es el expediente que quiere ver',
  noLinkedPatients:
    'Su cuenta todavía no está vinculada al expediente de nadie. Pida al equipo de atención que lo vincule con la persona que usted cuida.',
  noOwnRecord:
    'Su cuenta todavía no está vinculada a un expediente de salud. Pida ayuda a su equipo de atención.',
  loading: 'Cargando…',
  loadFailed: 'No pudimos cargar esto. Inténtelo de nuevo en un momento.',
  tryAgain: 'Intentar de nuevo',
  summaryIntro:
    'Este es un resumen corto de su expediente de salud. Pregunte a su equipo de atención si algo no parece correcto.',
  summaryIntroProxy: 'Este es un resumen corto del expediente de salud de {name}.',
  careTeam: 'Mi equipo de atención',
  careTeamHelp: 'Las personas que trabajan juntas en su atención.',
  noCareTeam: 'Todavía no hay un equipo de atención registrado.',
  conditions: 'Mis problemas de salud',
  conditionsHelp: 'Los problemas de salud que su equipo de atención está tratando ahora.',
  noConditions: 'No hay problemas de salud actuales registrados.',
  since: 'Desde {date}',
  medicines: 'Mis medicamentos',
  medicinesHelp: 'Los medicamentos que sus médicos le pidieron que tome ahora.',
  noMedicines: 'No hay medicamentos actuales registrados.',
  started: 'Empezó el {date}',
  accessIntro:
    'Cada vez que alguien abre su expediente, CareLoop lo anota. Aquí puede ver quién lo miró, cuándo y por qué.',
  accessIntroProxy: 'Todas las personas que abrieron el expediente de {name}, cuándo y por qué.',
  noAccess: 'Nadie ha visto este expediente todavía.',
  emergency: 'Acceso de emergencia',
  emergencyHelp:
    'Acceso de emergencia quiere decir que alguien necesitaba su expediente con urgencia. El responsable de privacidad revisa cada uno.',
  purposeTREAT: 'Para darle atención',
  purposeETREAT: 'Atención de emergencia',
  purposeHOPERAT: 'Para el funcionamiento del servicio',
  purposePATRQT: 'A pedido suyo',
  purposeOther: 'Otro',
  actionRead: 'Miró el expediente',
  actionSearch: 'Buscó en el expediente',
  actionCreate: 'Agregó información',
  actionUpdate: 'Cambió información',
  actionDelete: 'Quitó información',
  actionOther: 'Usó el expediente',
  member: 'Miembro del equipo de atención',
  questionnaires: 'Cuestionarios',
  questionnairesNav: 'Preguntas',
  questionnairesHelp: 'Conteste unas preguntas para que su equipo de atención sepa cómo está.',
  chooseQuestionnaire: 'Elija un cuestionario',
  send: 'Enviar mis respuestas',
  thanks: 'Gracias. Sus respuestas se enviaron a su equipo de atención, que las revisará.',
  crisis:
    'Usted dijo que ha tenido pensamientos de hacerse daño. Su equipo de atención le llamará hoy. Si está en peligro ahora, llame o envíe un mensaje al 988 (Línea de Prevención del Suicidio y Crisis) o llame al 911.',
  englishOnly: 'Estas preguntas están en inglés.',
  answerAnother: 'Contestar otro cuestionario',
  formMissing: 'Por favor conteste:',
  formYes: 'Sí',
  formNo: 'No',
  formOther: 'Otro',
  formSaveDraft: 'Guardar y terminar después',
  formRequired: 'obligatorio',
  draftSaved: 'Guardado. Puede terminar después.',
};

const dictionaries: Record<Language, Record<MessageKey, string>> = { en, es };

/** Translates a key, filling `{name}` placeholders. */
export function translate(language: Language, key: MessageKey, values: Record<string, string> = {}): string {
  return dictionaries[language][key].replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '');
}

/** The portal language (kept in localStorage) and a translator for it. */
export function usePortalLanguage(): {
  language: Language;
  setLanguage(language: Language): void;
  t(key: MessageKey, values?: Record<string, string>): string;
  locale: string;
} {
  const [language, setLanguage] = useLocalStorage<Language>({
    key: 'careloop.language',
    defaultValue: 'en',
    getInitialValueInEffect: false,
  });
  return {
    language,
    setLanguage,
    t: (key, values) => translate(language, key, values),
    locale: language === 'es' ? 'es-US' : 'en-US',
  };
}
