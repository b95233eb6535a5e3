/**
 * The names a model's price may be listed under, most specific first: the name as
 * configured, then without what only says where or which snapshot it runs: an ARN's
 * resource (Bedrock), a cross-region inference profile's prefix (`us.`, `eu.`,
 * `global.`, ...), a Vertex version (`@20250929`), a date suffix (`-2024-08-06`).
 */
export function priceNames(model: string): string[] {
  const names = [model];
  const add = (name: string) => {
    if (!names.includes(name)) names.push(name);
  };
  let name = model.startsWith("arn:") ? (model.split("/").at(-1) ?? model) : model;
  add(name);
  name = name.replace(/^(?:us|eu|apac|jp|au|ca|us-gov|global)\./, "");
  add(name);
  name = name.replace(/@[^@]*$/, "");
  add(name);
  add(name.replace(/-\d{4}-\d{2}-\d{2}$/, ""));
  return names;
}
