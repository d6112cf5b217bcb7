#!/usr/bin/env node
/** Entry point of the `plexus` CLI (run with `node --import tsx`; `npm start` = `plexus serve`). */
import { main } from '../cli/main.ts';
import { processIO } from '../cli/cli-io.ts';

process.exitCode = await main(process.argv.slice(2), processIO);
