/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests:
 * every line must be a HELP, a TYPE, a sample of a family whose TYPE came first, or empty
 * (the format ignores empty lines; prom-client puts one between families).
 */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (\\S+)(?: (-?\\d+))?$`);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
// As Prometheus reads values (Go's ParseFloat): NaN and Inf in any case; prom-client writes "Nan" for an empty event-loop histogram.
const FLOAT = /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]?inf(?:inity)?|nan)$/i;
const SUFFIXES: Record<string, string[]> = { histogram: ["_bucket", "_sum", "_count"], summary: ["", "_sum", "_count"] };

function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name) && !SUFFIXES[types.get(name)!]) return name;
  for (const [family, type] of types) for (const suffix of SUFFIXES[type] ?? []) if (name === family + suffix) return family;
  return undefined;
}

export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  text.split("\n").forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === "") return;
    if (line.startsWith("#")) {
      const type = TYPE.exec(line);
      if (type) {
        if (types.has(type[1]!)) throw new Error(`second TYPE for ${type[1]} at ${where}`);
        types.set(type[1]!, type[2]!);
      } else if (!HELP.test(line)) throw new Error(`bad comment at ${where}`);
      return;
    }
    const match = SAMPLE.exec(line);
    if (!match || !FLOAT.test(match[3]!)) throw new Error(`bad sample at ${where}`);
    const name = match[1]!;
    if (!familyOf(name, types)) throw new Error(`sample before its TYPE at ${where}`);
    const labels: Record<string, string> = {};
    for (const m of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = unescapeLabel(m[2]!);
    samples.push({ name, labels, value: Number(match[3]) });
  });
  return { types, samples };
}

/** The sum of the samples named `name` whose labels include `where`. */
export function sumOf(exposition: Exposition, name: string, where: Record<string, string> = {}): number {
  return exposition.samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)).reduce((acc, s) => acc + s.value, 0);
}
