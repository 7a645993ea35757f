// @actions/workflow-parser imports its schema JSON without `with { type: "json" }`, which
// Node before 22 refuses; this load hook reads such a module as JSON.
import { readFile } from "node:fs/promises";

export async function load(url, context, nextLoad) {
  if (url.startsWith("file:") && url.endsWith(".json")) {
    return { format: "json", source: await readFile(new URL(url), "utf8"), shortCircuit: true };
  }
  return nextLoad(url, context);
}
