// Fails the build when the JavaScript a browser downloads grows past the budget (gzipped,
// as CloudFront serves it). Run by `npm run build` after vite build.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

// kB = 1000 bytes, the unit vite prints beside it.
const BUDGET_BYTES = 300 * 1000;
const assets = new URL("../dist/assets/", import.meta.url).pathname;

const files = readdirSync(assets).filter((name) => name.endsWith(".js"));
if (files.length === 0) {
  console.error(`bundle size: no JavaScript in ${assets}; did vite build run?`);
  process.exit(1);
}
let total = 0;
for (const name of files) {
  const size = gzipSync(readFileSync(join(assets, name))).length;
  total += size;
  console.log(`bundle size: ${name} ${(size / 1000).toFixed(1)} kB gzipped`);
}
const verdict = total <= BUDGET_BYTES ? "within" : "OVER";
console.log(
  `bundle size: total ${(total / 1000).toFixed(1)} kB gzipped JS, ${verdict} the ${BUDGET_BYTES / 1000} kB budget`,
);
if (total > BUDGET_BYTES) process.exit(1);
