import type { Sql } from "../../store/sql.js";

/** Wraps a store so a test can make it unreachable, and counts transactions. */
export class SwitchableSql implements Sql {
  down = false;
  transactions = 0;

  constructor(private readonly inner: Sql) {}

  get dialect() {
    return this.inner.dialect;
  }

  private check(): void {
    if (this.down) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
  }

  async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    this.check();
    return this.inner.query<T>(sql, params);
  }

  async exec(sql: string): Promise<void> {
    this.check();
    return this.inner.exec(sql);
  }

  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    this.check();
    this.transactions++;
    return this.inner.transaction(fn);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
