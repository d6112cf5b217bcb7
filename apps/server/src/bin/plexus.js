#!/usr/bin/env node
// The installed `plexus` command: Plexus runs TypeScript without a build step, so this shim registers
// tsx's loader in this process and then runs the CLI entry (plexus.ts).
import { register } from 'tsx/esm/api';

register();
await import('./plexus.ts');
