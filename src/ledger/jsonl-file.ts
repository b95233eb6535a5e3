import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";

/** An append-only file of JSON values, one per line, durable once `append` resolves. */
export class JsonlFile<T> {
  constructor(readonly path: string) {}

  async append(values: readonly T[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const handle = await open(this.path, "a");
    const size = (await handle.stat()).size;
    try {
      await handle.writeFile(values.map((v) => `${JSON.stringify(v)}\n`).join(""));
      await handle.sync();
    } catch (err) {
      // Leaves no partial line behind for the next append to run into.
      await handle.truncate(size).catch(() => undefined);
      throw err;
    } finally {
      await handle.close();
    }
  }
}
