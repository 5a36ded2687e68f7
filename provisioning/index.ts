// `wardwatch provision …`: the installer's commands.
import type { Command } from '../cli/command.js';
import { credentialsCommand } from './credentials.js';
import { discoverCommand } from './discover.js';
import { initCommand } from './init.js';
import { installCommand } from './install.js';
import { modelCommand } from './model.js';
import { probeCommand } from './probe.js';
import { validateCommand } from './validate.js';

export const provisionCommands: Command[] = [discoverCommand, probeCommand, initCommand, validateCommand, credentialsCommand, installCommand, modelCommand];
