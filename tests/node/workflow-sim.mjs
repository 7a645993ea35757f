// GitHub's own workflow parser and expression engine as a line server, for tests/ci_sim/github.py.
// argv[2]: the node_modules folder tests/install-tools.sh manages.
// Each stdin line is one JSON request, each stdout line its JSON answer:
//   {"op": "parse", "path": <file>}            -> {"errors": [...], "template": <converted workflow, tokens as JSON>}
//   {"op": "eval", "expression": <text without ${{ }}>, "context": {<name>: <JSON>...},
//    "status": {"success": bool, "failure": bool, "cancelled": bool}}
//                                              -> {"value": <JSON>} or {"error": <message>}
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const load = (path) => import(pathToFileURL(join(modules, path)).href);
const { Evaluator, Lexer, Parser, data } = await load("@actions/expressions/dist/index.js");
const { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } = await load(
  "@actions/workflow-parser/dist/index.js",
);

const CONTEXTS = ["github", "env", "vars", "job", "jobs", "steps", "runner", "secrets", "strategy", "matrix",
  "needs", "inputs"];

function statusFunctions(status) {
  // The status check functions (docs.github.com/en/actions/reference/workflows-and-actions/expressions
  // #status-check-functions); the caller knows the job's or step's state.
  const fixed = (name, value) => [name, { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value) }];
  return new Map([
    fixed("success", status.success), fixed("failure", status.failure),
    fixed("cancelled", status.cancelled), fixed("always", true),
    ["hashfiles", { name: "hashFiles", minArgs: 1, maxArgs: 255, call: () => new data.StringData("0".repeat(64)) }],
  ]);
}
const INFO = ["success", "failure", "cancelled", "always"].map((name) => ({ name, minArgs: 0, maxArgs: 0 }))
  .concat([{ name: "hashFiles", minArgs: 1, maxArgs: 255 }]);

function evaluate(request) {
  const lexed = new Lexer(request.expression).lex();
  const tree = new Parser(lexed.tokens, CONTEXTS, INFO).parse();
  const context = JSON.parse(JSON.stringify(request.context || {}), data.reviver);
  const status = request.status || { success: true, failure: false, cancelled: false };
  const result = new Evaluator(tree, context, statusFunctions(status)).evaluate();
  return JSON.parse(JSON.stringify(result, data.replacer));
}

async function answer(request) {
  if (request.op === "parse") {
    const content = readFileSync(request.path, "utf8");
    const parsed = parseWorkflow({ name: request.path, content }, new NoOperationTraceWriter());
    const errors = parsed.context.errors.getErrors().map((e) => e.message);
    if (!parsed.value) return { errors, template: null };
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    errors.push(...(template.errors || []).map((e) => e.Message || e.message || String(e)));
    return { errors, template: JSON.parse(JSON.stringify(template)) };
  }
  if (request.op === "eval") return { value: evaluate(request) };
  throw new Error(`unknown op ${request.op}`);
}

for await (const line of createInterface({ input: process.stdin })) {
  let reply;
  try {
    reply = await answer(JSON.parse(line));
  } catch (error) {
    reply = { error: String(error && error.message ? error.message : error) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
}
