// DuckDB's client from one file: it is CommonJS in some 120 files, each found, read and compiled
// apart, for every process that opens the store. The build (scripts/build.js) bundles it into
// dist/vendor/duckdb.cjs; the native binding (@duckdb/node-bindings) stays where it is installed.
module.exports = require('@duckdb/node-api');
