/** One schema change, applied once, in version order (src/store/migrations.ts lists them). */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** PostgreSQL's version of `sql`, where the dialects must differ. */
  postgres?: string;
}
