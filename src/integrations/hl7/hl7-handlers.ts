/**
 * The one place the server learns which module handles which HL7 v2 message type (MSH-9.1). The app
 * (POST /hl7/v2), the MLLP listener (`careloop serve`) and the replay CLI all take their handlers
 * from here; tests pass their own map.
 */
import { handleRdeMessage } from '../../modules/medication-reconciliation/rde.handler.js';
import { createAdtHandler } from '../../modules/transitions/adt.service.js';
import { createBusinessCalendar } from '../../platform/business-calendar.js';
import type { Config } from '../../platform/config.js';
import type { Hl7Handlers } from './hl7-handler.js';

/** The handlers by message type, with the organization's business calendar (TCM deadlines). */
export function hl7HandlersFor(config: Pick<Config, 'holidays'>): Hl7Handlers {
  const calendar = createBusinessCalendar({
    holidays: config.holidays.calendar,
    extra: config.holidays.extra,
  });
  // RDE: pharmacy orders at discharge, the list medication reconciliation compares against.
  return { ADT: createAdtHandler({ calendar }), RDE: handleRdeMessage };
}
