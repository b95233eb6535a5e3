import { createReadStream, existsSync, readFileSync, truncateSync } from "node:fs";
import { mkdir, open, truncate } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";

/** An append-only file of JSON values, one per line, durable once `append` resolves. */
export class JsonlFile<T> {
  constructor(readonly path: string) {}

  /**
   * Counts the lines at startup. A crash during an append can leave a torn last line; it
   * is cut off so the next append starts on a line of its own. Synchronous: runs once.
   */
  recover(onTorn: (err: Error) => void): number {
    if (!existsSync(this.path)) return 0;
    const text = readFileSync(this.path, "utf8");
    const end = text.lastIndexOf("\n") + 1;
    if (end < text.length) {
      truncateSync(this.path, Buffer.byteLength(text.slice(0, end)));
      onTorn(new Error(`${this.path}: dropped a torn last line (${text.length - end} characters)`));
    }
    return text.slice(0, end).split("\n").filter((line) => line.trim() !== "").length;
  }

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

  /** The values in order, `size` at a time; a line that does not parse is passed to `onBadLine` and skipped. */
  async *batches(size: number, onBadLine: (err: Error) => void): AsyncGenerator<T[]> {
    if (!existsSync(this.path)) return;
    const input = createReadStream(this.path, "utf8");
    try {
      let batch: T[] = [];
      for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        if (line.trim() === "") continue;
        try {
          batch.push(JSON.parse(line) as T);
        } catch (err) {
          onBadLine(new Error(`${this.path}: skipped a line that is not JSON`, { cause: err }));
          continue;
        }
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      // The consumer may stop early (the database failed mid-replay): release the file.
      input.destroy();
    }
  }

  async clear(): Promise<void> {
    if (existsSync(this.path)) await truncate(this.path, 0);
  }
}
