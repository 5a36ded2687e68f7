#!/usr/bin/env node
// The one executable. Runs the compiled CLI (built by `npm install` through `prepare`).
import '../dist/cli/run.js';
