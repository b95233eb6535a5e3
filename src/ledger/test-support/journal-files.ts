import { existsSync, readdirSync } from "node:fs";
import { Journal } from "../journal.js";

/** The records a writer started now on `dir` would replay (the directory must not be in use). */
export function journalBacklog(dir: string): number {
  const journal = new Journal(dir);
  try {
    return journal.spooled;
  } finally {
    journal.close();
  }
}

/** The journal's segment files in `dir`. */
export function journalSegments(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith("journal-")) : [];
}
