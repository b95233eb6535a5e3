import { invalidField } from "./validate.js";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const EPOCH = /^\d{1,16}$/;

/** Below this an epoch number is read as seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const SECONDS_BELOW = 1e11;

/**
 * An instant given as ISO 8601 (a date is midnight UTC; a time without an offset is UTC)
 * or as an epoch number (seconds, or milliseconds when 1e11 or more). Epoch ms out.
 */
export function parseInstant(value: string, param: string): number {
  const text = value.trim();
  let ms: number;
  if (EPOCH.test(text)) {
    const n = Number(text);
    ms = n < SECONDS_BELOW ? n * 1000 : n;
  } else if (ISO_DATE.test(text)) {
    ms = Date.parse(`${text}T00:00:00Z`);
  } else if (ISO_DATETIME.test(text)) {
    ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`);
  } else {
    throw invalidField(param, `expected an ISO 8601 date or time (2026-11-21, 2026-11-21T08:00:00Z) or epoch seconds/milliseconds, got "${text.slice(0, 40)}".`);
  }
  if (!Number.isFinite(ms)) throw invalidField(param, `"${text.slice(0, 40)}" is not a valid date.`);
  return ms;
}

export const iso = (ms: number) => new Date(ms).toISOString();
