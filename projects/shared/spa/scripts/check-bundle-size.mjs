// Fails the build when the JavaScript a browser downloads grows past the budget (gzipped,
// as CloudFront serves it). Every SPA's `npm run build` runs it after vite build, in the SPA's folder.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

// kB = 1000 bytes, the unit vite prints beside it.
const BUDGET_BYTES = 300 * 1000;
const assets = join(process.cwd(), "dist", "assets");

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
