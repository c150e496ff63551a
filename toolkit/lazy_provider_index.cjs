// Lazy index of the AWS provider's JavaScript, the Node half of toolkit/bindings.py.
//
// The jsii kernel (a Node process the Python bindings talk to) loads @cdktf/provider-aws by
// requiring its lib/index.js, which requires all ~2,135 resource modules up front: ~2 s of
// every synth. toolkit/bindings.py preloads this file into that process (NODE_OPTIONS
// --require); it compiles that one index with each `exports.x = require("./x");` turned into
// a getter that requires the module on first use, the way aws-cdk-lib ships its own index
// (the kernel finds types through such getters since aws/jsii#4181). Nothing else is touched;
// an index of any other layout loads as published, with a warning.
'use strict';

const fs = require('fs');
const path = require('path');
const Module = require('module');

const PACKAGE = '@cdktf/provider-aws';
const SUBMODULE_EXPORT = /^exports\.([A-Za-z_$][\w$]*) = require\("(\.\/[\w.-]+)"\);$/;
const publishedLoader = Module._extensions['.js'];

function lazyIndex(source) {
  let submodules = 0;
  const lines = source.split('\n').map((line) => {
    const match = SUBMODULE_EXPORT.exec(line);
    if (!match) return line;
    submodules += 1;
    const name = JSON.stringify(match[1]);
    const file = JSON.stringify(match[2]);
    return `Object.defineProperty(exports, ${name}, { enumerable: true, configurable: true, get() {` +
      ` const m = require(${file});` +
      ` Object.defineProperty(exports, ${name}, { value: m, enumerable: true }); return m; } });`;
  });
  // Any other require, or none at all, means a layout this was not written for.
  const unexpected = lines.some((line) => line.includes('require(') && !line.includes('get() {'));
  return submodules > 0 && !unexpected ? lines.join('\n') : null;
}

// The package's lib/index.js, wherever the kernel put the package (its cache, or a symlink to it).
function isProviderIndex(filename) {
  if (path.basename(filename) !== 'index.js' || path.basename(path.dirname(filename)) !== 'lib') return false;
  try {
    const manifest = path.join(path.dirname(filename), '..', 'package.json');
    return JSON.parse(fs.readFileSync(manifest, 'utf8')).name === PACKAGE;
  } catch {
    return false;
  }
}

Module._extensions['.js'] = function loadJs(module, filename) {
  if (!isProviderIndex(filename)) return publishedLoader(module, filename);
  const lazy = lazyIndex(fs.readFileSync(filename, 'utf8'));
  if (lazy === null) {
    process.stderr.write(`app-dw: ${filename} has an unexpected layout; loading it as published\n`);
    return publishedLoader(module, filename);
  }
  return module._compile(lazy, filename);
};
